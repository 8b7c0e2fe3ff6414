using System.Net.Http.Json;

namespace PrivacySuite.Vault.Model;

/// <summary>The consent service's answer to <c>GET /v1/consents/check</c>.</summary>
public sealed record ConsentCheckAnswer(bool Allowed, string? Basis, string? PolicyVersion, string? Reason);

/// <summary>
/// Whether a subject allows a purpose: first the decisions kept from the consent service's events, otherwise the
/// consent service is asked and its answer kept until an event replaces it. If it cannot answer, the read is denied.
/// </summary>
public sealed class ConsentGate(IHttpClientFactory http, TimeProvider time, ILogger<ConsentGate> logger)
{
    public const string HttpClientName = "consent";

    public async Task<(bool Allowed, string Reason)> DecideAsync(VaultDbContext db, string subjectId, string purpose, CancellationToken ct)
    {
        var known = await db.ConsentDecisions.AsNoTracking()
            .SingleOrDefaultAsync(d => d.SubjectId == subjectId && d.Purpose == purpose, ct);
        if (known is not null)
        {
            return (known.Allowed, known.Allowed ? "consent" : "no-consent");
        }

        ConsentCheckAnswer? answer;
        try
        {
            var client = http.CreateClient(HttpClientName);
            answer = await client.GetFromJsonAsync<ConsentCheckAnswer>(
                $"/v1/consents/check?subjectId={Uri.EscapeDataString(subjectId)}&purpose={Uri.EscapeDataString(purpose)}", ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or Polly.CircuitBreaker.BrokenCircuitException or Polly.Timeout.TimeoutRejectedException)
        {
            Log.ConsentUnavailable(logger, purpose, e.GetType().Name);
            return (false, "consent-service-unavailable");
        }

        if (answer is null)
        {
            return (false, "consent-service-unavailable");
        }

        // An event that arrived meanwhile is newer knowledge than this answer: it is never overwritten.
        await db.Database.ExecuteSqlAsync(
            $"""
            insert into consent_decisions (subject_id, purpose, allowed, policy_version, origin, decided_at)
            values ({subjectId}, {purpose}, {answer.Allowed}, {answer.PolicyVersion}, 'check', {time.GetUtcNow()})
            on conflict do nothing
            """, ct);
        return (answer.Allowed, answer.Allowed ? "consent" : "no-consent");
    }
}
