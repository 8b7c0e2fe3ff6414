using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Consent.Workers;

/// <summary>Announces published versions a page of subjects at a time (<see cref="PolicyAnnouncements"/>); in the primary region only.</summary>
public sealed class PolicyAnnouncer(IServiceScopeFactory scopes, RegionRole region, TimeProvider time, IOptions<ConsentOptions> options,
    ILogger<PolicyAnnouncer> logger) : PrimaryRegionWorker(region, logger)
{
    protected override TimeSpan Interval => options.Value.AnnouncementInterval;

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && await AnnounceNextPageAsync(cancellationToken))
        {
        }
    }

    /// <summary>Asks for the notice to the next page of the oldest version still announcing; false when none is left.</summary>
    public async Task<bool> AnnounceNextPageAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ConsentDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var version = await db.PolicyVersions
            .FromSql($"select * from policy_versions where announced_at is null order by sequence limit 1 for update skip locked")
            .SingleOrDefaultAsync(cancellationToken);
        if (version is null)
        {
            return false;
        }

        var pageSize = options.Value.AnnouncementPageSize;
        var after = version.AnnouncedThrough ?? "";
        var subjects = await db.Subjects
            .Where(s => s.PolicyId == version.PolicyId && s.Status == SubjectStatus.Active && string.Compare(s.SubjectId, after) > 0)
            .OrderBy(s => s.SubjectId)
            .Select(s => s.SubjectId)
            .Take(pageSize)
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (subjects.Count > 0)
        {
            var page = version.AnnouncedPages + 1;
            db.AddIntegrationEvent(new NoticeCampaignRequested(
                PolicyAnnouncements.PageRequestId(version.PolicyId, version.Version, page), NoticeTypes.PolicyUpdate, subjects,
                PolicyAnnouncements.Variables(version), now), now);
            version.AnnouncedThrough = subjects[^1];
            version.AnnouncedPages = page;
            version.AnnouncedSubjects += subjects.Count;
        }

        if (subjects.Count < pageSize)
        {
            version.AnnouncedAt = now;
            Log.PolicyVersionAnnounced(logger, version.PolicyId, version.Version, version.AnnouncedSubjects, version.AnnouncedPages);
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }
}
