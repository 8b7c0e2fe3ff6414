using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Serialization;

namespace PrivacySuite.Operations.Infrastructure;

public sealed record QueueView(string Name, string Service, long Messages, long Ready, long Unacknowledged, int Consumers);

public sealed record BrokerView(string Broker, string? Error, IReadOnlyList<QueueView> ErrorQueues, IReadOnlyList<QueueView> Queues);

/// <summary>
/// Reads a region's RabbitMQ node through its management API (services:rabbitmq-{region}:management:0, user
/// <c>suite</c>): every queue with what waits in it and who consumes, and the _error queues where messages land after
/// their retries.
/// </summary>
public sealed class BrokerReader(HttpClient http, IConfiguration configuration, IOptions<OperationsOptions> options, ILogger<BrokerReader> logger)
{
    public async Task<BrokerView> QueuesAsync(string region, CancellationToken ct)
    {
        var broker = $"rabbitmq-{region}";
        if (configuration[$"services:{broker}:management:0"] is not { Length: > 0 } baseUrl)
        {
            return new BrokerView(broker, $"{broker} is not configured (services:{broker}:management:0)", [], []);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get,
            new Uri(new Uri(baseUrl), "/api/queues?columns=name,messages,messages_ready,messages_unacknowledged,consumers"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Value.RabbitMqUser}:{options.Value.RabbitMqPassword}")));
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                return new BrokerView(broker, $"{broker}'s management API answered {(int)response.StatusCode}", [], []);
            }

            var queues = (await response.Content.ReadFromJsonAsync<List<ManagementQueue>>(ct) ?? [])
                .Select(q => new QueueView(q.Name, ServiceOf(q.Name), q.Messages ?? 0, q.MessagesReady ?? 0, q.MessagesUnacknowledged ?? 0, q.Consumers ?? 0))
                .OrderBy(q => q.Name, StringComparer.Ordinal)
                .ToList();
            return new BrokerView(broker, null,
                [.. queues.Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal))],
                [.. queues.Where(q => !q.Name.EndsWith("_error", StringComparison.Ordinal) && !q.Name.EndsWith("_skipped", StringComparison.Ordinal))]);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or Polly.Timeout.TimeoutRejectedException && !ct.IsCancellationRequested)
        {
            Log.SourceFailed(logger, broker, e.GetType().Name);
            return new BrokerView(broker, $"{broker}'s management API did not answer ({e.GetType().Name})", [], []);
        }
    }

    /// <summary>Queues are named {service}-{consumer}; the bus's own temporary queues get no service.</summary>
    private static string ServiceOf(string queue)
    {
        var dash = queue.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 ? queue[..dash] : "";
    }

    private sealed record ManagementQueue(
        string Name,
        long? Messages,
        [property: JsonPropertyName("messages_ready")] long? MessagesReady,
        [property: JsonPropertyName("messages_unacknowledged")] long? MessagesUnacknowledged,
        int? Consumers);
}
