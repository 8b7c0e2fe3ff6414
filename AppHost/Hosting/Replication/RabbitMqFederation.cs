namespace PrivacySuite.AppHost.Hosting.Replication;

/// <summary>
/// Exchange federation between the regions' brokers: a downstream broker's event exchanges receive what is published
/// to the same exchanges upstream, so a standby region's consumers (cache invalidation above all) follow the primary.
/// Settings from INFRA.md: never clean up upstream resources (a graceful downstream stop would otherwise delete the
/// upstream queue and lose what is published meanwhile), reconnect after one second.
/// </summary>
public static class RabbitMqFederation
{
    /// <summary>MassTransit names exchanges after message types; the suite's events live in one namespace.</summary>
    public const string EventExchangePattern = "^PrivacySuite\\.Contracts:";

    public static async Task LinkAsync(RabbitMqServer upstream, RabbitMqServer downstream, string virtualHost = "/", CancellationToken cancellationToken = default)
    {
        var vhost = Uri.EscapeDataString(virtualHost);
        var upstreamName = upstream.Options.Name;
        var upstreamUri = upstream.ConnectionString(virtualHost == "/" ? null : virtualHost);
        await downstream.SendAsync(HttpMethod.Put, $"api/parameters/federation-upstream/{vhost}/{upstreamName}", new
        {
            value = new Dictionary<string, object>
            {
                ["uri"] = upstreamUri,
                ["resource-cleanup-mode"] = "never",
                ["reconnect-delay"] = 1,
                ["ack-mode"] = "on-confirm",
                ["trust-user-id"] = false,
            },
        }, cancellationToken);
        await downstream.SendAsync(HttpMethod.Put, $"api/policies/{vhost}/federate-from-{upstreamName}", new Dictionary<string, object>
        {
            ["pattern"] = EventExchangePattern,
            ["apply-to"] = "exchanges",
            ["priority"] = 1,
            ["definition"] = new Dictionary<string, object> { ["federation-upstream"] = upstreamName },
        }, cancellationToken);
    }

    /// <summary>Running federation links on <paramref name="downstream"/> (status "running" when connected).</summary>
    public static async Task<IReadOnlyList<(string Exchange, string Status)>> LinksAsync(RabbitMqServer downstream, CancellationToken cancellationToken = default)
    {
        using var response = await downstream.SendAsync(HttpMethod.Get, "api/federation-links", null, cancellationToken);
        using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return document.RootElement.EnumerateArray()
            .Select(l => (l.TryGetProperty("exchange", out var e) ? e.GetString() ?? "" : "", l.GetProperty("status").GetString() ?? ""))
            .ToList();
    }
}
