using System.Text.RegularExpressions;
using PrivacySuite.Contracts;

namespace PrivacySuite.AppHost.Hosting;

/// <summary>
/// A RabbitMQ user's permissions on one virtual host: regular expressions over exchange and queue names for configure
/// (declare, delete), write (publish; the destination of a binding) and read (consume; the source of a binding).
/// </summary>
public sealed record BrokerPermissions(string Configure, string Write, string Read)
{
    /// <summary>
    /// What one service of the suite needs, from <see cref="EventRoutes"/>, and nothing more:
    /// <list type="bullet">
    /// <item>its own endpoints (queues and exchanges named <c>{service}-…</c>, their <c>_error</c> queues included): all;</item>
    /// <item>the exchanges of the events it publishes: declare and write;</item>
    /// <item>the exchanges of the events it consumes: declare and read (to bind its endpoints to them), never write;</item>
    /// <item>the fault exchanges of the events it consumes: it publishes its own faults there, and MassTransit binds each
    /// to <c>MassTransit:Fault</c>, which is written to by every service and read by none.</item>
    /// </list>
    /// </summary>
    public static BrokerPermissions For(string service)
    {
        var own = $"{Regex.Escape(service)}-.*";
        var published = EventRoutes.PublishedBy(service).Select(r => Regex.Escape(r.Exchange)).ToList();
        var consumed = EventRoutes.ConsumedBy(service).Select(r => Regex.Escape(r.Exchange)).ToList();
        var faults = EventRoutes.ConsumedBy(service).Select(r => Regex.Escape(r.FaultExchange)).ToList();
        const string allFaults = "MassTransit:Fault";
        return new(
            Configure: AnyOf([own, .. published, .. consumed, .. faults, allFaults]),
            Write: AnyOf([own, .. published, .. faults, allFaults]),
            Read: AnyOf([own, .. consumed, .. faults]));
    }

    private static string AnyOf(IEnumerable<string> patterns) => $"^({string.Join('|', patterns.Distinct())})$";
}
