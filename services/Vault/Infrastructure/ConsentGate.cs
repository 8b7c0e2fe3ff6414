using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Infrastructure;

/// <summary>
/// The consent service's answer to <c>GET /v1/consents/check</c>: <see cref="SubjectChangedAt"/> and
/// <see cref="PolicyEpoch"/> say what it is as of (null and 0 from a consent service that predates them);
/// <see cref="SensitiveCategories"/> the sensitive categories separately consented to (none from one that predates it).
/// </summary>
public sealed record ConsentCheckAnswer(bool Allowed, string? Basis, string? PolicyVersion, string? Reason,
    DateTimeOffset? SubjectChangedAt = null, long PolicyEpoch = 0, IReadOnlyList<string>? SensitiveCategories = null)
{
    /// <summary>The separately consented categories as the vault names them (lower case); none unless allowed.</summary>
    public string[] SensitiveForVault() => Allowed && SensitiveCategories is { } categories ? [.. categories.Select(c => c.ToLowerInvariant())] : [];
}

/// <summary>
/// A consent decision as a read uses it: whether the purpose is allowed, why not, and the sensitive categories
/// (lower case) the subject separately consented to for it.
/// </summary>
public readonly record struct ConsentAnswer(bool Allowed, string Reason, string[] SensitiveCategories)
{
    public static ConsentAnswer Kept(bool allowed, string[] sensitive) => new(allowed, allowed ? "consent" : "no-consent", allowed ? sensitive : []);

    public static ConsentAnswer Denied(string reason) => new(false, reason, []);
}

/// <summary>
/// Whether a subject allows a purpose: a fresh answer of the consent service kept from an earlier read, otherwise the
/// consent service is asked and its answer kept. Kept answers are used for at most
/// <see cref="VaultOptions.ConsentDecisionMaxAge"/> and only under the current policy epoch; consent events take them
/// away (<see cref="ConsentChanges"/>). An answer older than a change the vault has heard of is neither kept nor used:
/// the read is denied (<c>consent-changing</c>). If the consent service cannot answer, the read is denied.
/// </summary>
public sealed class ConsentGate(IHttpClientFactory http, IOptions<VaultOptions> options, TimeProvider time, ILogger<ConsentGate> logger)
{
    public const string HttpClientName = "consent";

    /// <summary>Kept decisions made before this time are not used.</summary>
    public DateTimeOffset FreshSince() => time.GetUtcNow() - options.Value.ConsentDecisionMaxAge;

    public async Task<ConsentAnswer> DecideAsync(VaultDbContext db, string subjectId, string purpose, CancellationToken ct)
    {
        var freshSince = FreshSince();
        var known = await db.ConsentDecisions.FromSql(
                $"""
                select * from consent_decisions
                where subject_id = {subjectId} and purpose = {purpose} and decided_at > {freshSince}
                  and policy_epoch >= (select epoch from consent_epoch)
                """)
            .AsNoTracking().SingleOrDefaultAsync(ct);
        if (known is not null)
        {
            return ConsentAnswer.Kept(known.Allowed, known.SensitiveCategories);
        }

        var askedAt = time.GetUtcNow();
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
            return ConsentAnswer.Denied("consent-service-unavailable");
        }

        if (answer is null)
        {
            return ConsentAnswer.Denied("consent-service-unavailable");
        }

        var sensitive = answer.SensitiveForVault();
        if (!await KeepAsync(db, subjectId, purpose, answer, sensitive, askedAt, ct))
        {
            Log.ConsentAnswerStale(logger, purpose);
            return ConsentAnswer.Denied("consent-changing");
        }

        return ConsentAnswer.Kept(answer.Allowed, sensitive);
    }

    /// <summary>
    /// Keeps the answer unless it is stale: decided under an older policy epoch than the vault has heard of, or as of
    /// before the subject's last change heard of. Under the subject's lock, so a change that commits meanwhile either
    /// sees the kept answer (and forgets it) or is seen here.
    /// </summary>
    private static async Task<bool> KeepAsync(VaultDbContext db, string subjectId, string purpose, ConsentCheckAnswer answer, string[] sensitive,
        DateTimeOffset askedAt, CancellationToken ct)
    {
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        await using (own)
        {
            await ConsentChanges.LockSubjectAsync(db, subjectId, ct);
            var kept = await db.Database.ExecuteSqlAsync(
                $"""
                insert into consent_decisions (subject_id, purpose, allowed, policy_version, origin, decided_at, as_of, policy_epoch, sensitive_categories)
                select {subjectId}, {purpose}, cast({answer.Allowed} as boolean), cast({answer.PolicyVersion} as text), 'check',
                       cast({askedAt} as timestamptz), cast({answer.SubjectChangedAt} as timestamptz), cast({answer.PolicyEpoch} as bigint),
                       cast({sensitive} as text[])
                where cast({answer.PolicyEpoch} as bigint) >= (select epoch from consent_epoch)
                  and not exists (select 1 from consent_changes c where c.subject_id = {subjectId}
                                  and c.changed_at > coalesce(cast({answer.SubjectChangedAt} as timestamptz), '-infinity'))
                on conflict (subject_id, purpose) do update
                  set allowed = excluded.allowed, policy_version = excluded.policy_version, origin = 'check',
                      decided_at = excluded.decided_at, as_of = excluded.as_of, policy_epoch = excluded.policy_epoch,
                      sensitive_categories = excluded.sensitive_categories
                """, ct);
            if (own is not null)
            {
                await own.CommitAsync(ct);
            }

            return kept > 0;
        }
    }
}
