using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Incidents.Workers;

/// <summary>
/// Resolves a campaign's subjects from the vault page by page. Each page is one transaction: its subjects go into the
/// plan (a subject already planned is skipped, so nobody is in two batches), one <see cref="NoticeBatchRequested"/>
/// goes into the outbox, and the vault cursor moves on. A crash resumes from the last committed cursor.
/// </summary>
public sealed class NoticeCampaignPlanner(
    IServiceScopeFactory scopes, CampaignSignal signal, RegionRole region, TimeProvider time, IOptions<IncidentsOptions> options, ILogger<NoticeCampaignPlanner> logger)
    : PrimaryRegionWorker(region, logger)
{
    protected override TimeSpan Interval => options.Value.WorkerInterval;

    protected override Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken) => signal.WaitAsync(interval, cancellationToken);

    protected override async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        foreach (var campaignId in await ResolvingCampaignsAsync(cancellationToken))
        {
            while (!cancellationToken.IsCancellationRequested && await PlanNextPageAsync(campaignId, cancellationToken))
            {
            }
        }
    }

    private async Task<List<Guid>> ResolvingCampaignsAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IncidentsDbContext>();
        return await db.Campaigns.Where(c => c.Status == CampaignStatus.Resolving).OrderBy(c => c.StartedAt).Select(c => c.Id).ToListAsync(ct);
    }

    /// <summary>Plans one page; false when the campaign is fully planned, taken by another replica, or the vault failed.</summary>
    private async Task<bool> PlanNextPageAsync(Guid campaignId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IncidentsDbContext>();
        var vault = scope.ServiceProvider.GetRequiredService<VaultClient>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var campaign = await db.Campaigns
            .FromSql($"select * from notice_campaigns where id = {campaignId} and status = 'resolving' for update skip locked")
            .SingleOrDefaultAsync(ct);
        if (campaign is null)
        {
            return false;
        }

        (IReadOnlyList<string> SubjectIds, string? Next, int NotFound) page;
        try
        {
            page = await NextPageAsync(db, vault, campaign, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or Polly.CircuitBreaker.BrokenCircuitException && !ct.IsCancellationRequested)
        {
            Log.VaultFailed(logger, e, campaignId);
            return false;
        }

        var now = time.Now();
        var subjects = page.SubjectIds.Where(id => SubjectId.TryParse(id, out _)).ToList();
        if (subjects.Count > 0)
        {
            var batchNumber = campaign.BatchesRequested + 1;
            var planned = await PlanAsync((NpgsqlConnection)db.Database.GetDbConnection(), campaign.Id, batchNumber, subjects, ct);
            if (planned.Count > 0)
            {
                var batchId = DeterministicIds.Batch(campaign.Id, batchNumber);
                var variables = JsonSerializer.Deserialize<Dictionary<string, string>>(campaign.Variables) ?? [];
                db.AddIntegrationEvent(
                    new NoticeBatchRequested(campaign.Id, batchNumber, batchId, campaign.IncidentId, campaign.NoticeType, planned, variables, now), now);
                db.NoticeBatches.Add(new NoticeBatch { BatchId = batchId, CampaignId = campaign.Id, BatchNumber = batchNumber, SubjectCount = planned.Count, RequestedAt = now });
                campaign.BatchesRequested = batchNumber;
                campaign.SubjectsPlanned += planned.Count;
                Log.BatchRequested(logger, campaign.Id, batchNumber, planned.Count);
            }
        }

        campaign.SubjectsNotFound += page.NotFound;
        campaign.Cursor = page.Next;
        var done = page.Next is null;
        if (done)
        {
            campaign.Status = CampaignStatus.Requested;
            campaign.PlannedAt = now;
            db.Timeline.Add(new TimelineEntry
            {
                IncidentId = campaign.IncidentId,
                At = now,
                Actor = "notice-campaign",
                Kind = "notices-requested",
                Detail = $"{campaign.SubjectsPlanned:N0} subjects in {campaign.BatchesRequested} batches ({campaign.Scope} scope)" +
                    (campaign.SubjectsNotFound > 0 ? $"; {campaign.SubjectsNotFound:N0} named subjects the vault does not hold, not sent to" : ""),
            });
            if (campaign.SubjectsPlanned >= options.Value.BulletinThreshold)
            {
                Bulletins.Request(db, campaign, Bulletins.OverThreshold, now);
            }

            Log.CampaignPlanned(logger, campaign.Id, campaign.SubjectsPlanned, campaign.BatchesRequested);
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return !done;
    }

    /// <summary>
    /// The campaign's next page after its cursor. A window, category or everyone scope is the vault's listing (its cursor
    /// is the vault's). A subjects scope pages through its own list by id (the cursor is the last id) and asks the vault
    /// which of the page it holds: the others are counted as not found and never sent to.
    /// </summary>
    private async Task<(IReadOnlyList<string> SubjectIds, string? Next, int NotFound)> NextPageAsync(
        IncidentsDbContext db, VaultClient vault, NoticeCampaign campaign, CancellationToken ct)
    {
        if (campaign.Scope != AffectedScope.Subjects)
        {
            var listed = await vault.GetAffectedAsync(campaign.Affected(), campaign.Cursor, options.Value.VaultPageSize, ct);
            return (listed.SubjectIds, listed.Next, 0);
        }

        var take = Math.Min(options.Value.VaultPageSize, VaultClient.MaxKnown);
        var cursor = campaign.Cursor;
        var query = db.NamedSubjects.Where(n => n.CampaignId == campaign.Id);
        if (cursor is not null)
        {
            query = query.Where(n => string.Compare(n.SubjectId, cursor) > 0);
        }

        var named = await query.OrderBy(n => n.SubjectId).Select(n => n.SubjectId).Take(take).ToListAsync(ct);
        if (named.Count == 0)
        {
            return ([], null, 0);
        }

        var answer = await vault.KnownAsync(named, ct);
        var asked = named.ToHashSet(StringComparer.Ordinal);
        var held = answer.Known.Where(asked.Contains).Distinct(StringComparer.Ordinal).ToList();
        return (held, named.Count < take ? null : named[^1], named.Count - held.Count);
    }

    /// <summary>Copies the page in and keeps only subjects this campaign has not planned yet.</summary>
    private static async Task<List<string>> PlanAsync(NpgsqlConnection connection, Guid campaignId, int batchNumber, List<string> subjects, CancellationToken ct)
    {
        await using (var create = new NpgsqlCommand("create temp table if not exists incoming_subjects (subject_id text not null) on commit delete rows", connection))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        await using (var import = await connection.BeginBinaryImportAsync("copy incoming_subjects (subject_id) from stdin (format binary)", ct))
        {
            foreach (var subject in subjects)
            {
                await import.StartRowAsync(ct);
                await import.WriteAsync(subject, NpgsqlDbType.Text, ct);
            }

            await import.CompleteAsync(ct);
        }

        await using var insert = new NpgsqlCommand(
            "insert into notice_plan (campaign_id, subject_id, batch_number) select distinct $1, subject_id, $2 from incoming_subjects " +
            "on conflict do nothing returning subject_id", connection)
        {
            Parameters = { new() { Value = campaignId }, new() { Value = batchNumber } },
        };
        var planned = new List<string>(subjects.Count);
        await using var reader = await insert.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            planned.Add(reader.GetString(0));
        }

        return planned;
    }
}
