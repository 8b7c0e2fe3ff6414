using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Consent.Workers;

/// <summary>
/// IWK-3.3 for minors who never consented with a guardian: once the grace period after a subject's registration has
/// passed, the subject is looked at once; a minor (by the policy's guardian age) without a granted guardian consent is
/// announced with <see cref="MinorWithoutGuardianConsentDetected"/>, and retention erases the subject in its next sweep.
/// The event, the look and its mark commit together, so a crash repeats a round and reports nobody twice.
/// </summary>
public sealed class MinorCheckWorker(IServiceScopeFactory scopes, RegionRole region, TimeProvider time, IOptions<ConsentOptions> options,
    ILogger<MinorCheckWorker> logger) : PrimaryRegionWorker(region, logger)
{
    private const int SubjectsPerRound = 1_000;

    protected override TimeSpan Interval => options.Value.MinorCheckInterval;

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        while (await CheckDueAsync(cancellationToken) == SubjectsPerRound)
        {
        }
    }

    /// <summary>Looks at up to <see cref="SubjectsPerRound"/> subjects whose grace period has passed; returns how many.</summary>
    public async Task<int> CheckDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ConsentDbContext>();
        var now = time.GetUtcNow();
        var registeredBefore = now - options.Value.MinorGuardianConsentGrace;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.Subjects.FromSql(
                $"""
                select * from subjects where minor_checked_at is null and registered_at <= {registeredBefore} and status <> 'erased'
                order by registered_at limit {SubjectsPerRound} for update skip locked
                """)
            .AsNoTracking().ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        var ids = due.Select(s => s.SubjectId).ToArray();
        var withGuardian = (await db.Consents.Where(c => ids.Contains(c.SubjectId) && c.State == ConsentState.Granted && c.GuardianVerificationId != null)
            .Select(c => c.SubjectId).Distinct().ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var guardianAges = await db.Policies.AsNoTracking().ToDictionaryAsync(p => p.PolicyId, p => p.GuardianAge, cancellationToken);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var minors = due.Where(s => !withGuardian.Contains(s.SubjectId) && ConsentRules.IsMinor(s, guardianAges[s.PolicyId], today))
            .Select(s => new MinorWithoutGuardianConsentDetected(s.SubjectId, now))
            .ToList();
        if (minors.Count > 0)
        {
            await db.AddIntegrationEventsAsync(minors, now, cancellationToken);
            Log.MinorsWithoutAnyGuardianConsent(logger, minors.Count);
        }

        await db.Database.ExecuteSqlAsync($"update subjects set minor_checked_at = {now} where subject_id = any ({ids})", cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return due.Count;
    }
}
