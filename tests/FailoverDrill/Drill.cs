using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace PrivacySuite.FailoverDrill;

public sealed record DrillOptions(TimeSpan Warmup, TimeSpan AfterFailover, int WritersPerRegion, TimeSpan DeliveryWait)
{
    public static DrillOptions Default { get; } = new(TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(6), 2, TimeSpan.FromSeconds(60));
}

/// <param name="WritesAfterPromotion">
/// Per service, seconds from the end of the promotion to the first acknowledged write that was sent after the kill (null:
/// none within the drill): the time each service of the surviving region took to take writes.
/// </param>
public sealed record DrillResult(
    double RtoSeconds, int LostAcknowledged, int DuplicateEffects, int UndeliveredEvents, int ReplayedEvents,
    int AcknowledgedWrites, int StandbyReads, int StandbyReadFailures, int StaleReads, double PromoteSeconds, double? FailbackSeconds,
    IReadOnlyDictionary<string, double?> WritesAfterPromotion)
{
    public const double RtoGoalSeconds = 15;

    public bool GoalsMet => RtoSeconds <= RtoGoalSeconds && LostAcknowledged == 0 && DuplicateEffects == 0 && UndeliveredEvents == 0
                            && StandbyReadFailures == 0 && FailbackSeconds is not null;

    public string Summary => FormattableString.Invariant($"failover rto_s={RtoSeconds:0.0} lost_acknowledged={LostAcknowledged} duplicate_effects={DuplicateEffects}");

    public string Details => FormattableString.Invariant(
        $"acknowledged_writes={AcknowledgedWrites} undelivered_events={UndeliveredEvents} replayed_events={ReplayedEvents} standby_reads={StandbyReads} standby_read_failures={StandbyReadFailures} stale_reads={StaleReads} promote_s={PromoteSeconds:0.00} failback_s={(FailbackSeconds is { } f ? f.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "failed")}") +
        string.Concat(WritesAfterPromotion.Select(w => FormattableString.Invariant($" {w.Key}_write_after_promotion_s={(w.Value is { } s ? s.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "none")}")));
}

/// <summary>
/// The failover drill of issue 9: steady writes (subjects registered, consents granted, vault stores, and one light
/// write of each other service) and consent checks against both regions; the primary region killed hard (SIGKILL to its broker, database and services); a
/// failover; then every acknowledged write is looked up in the new primary, every event committed before the kill is
/// followed to its consumer's inbox, and the old region rejoins and takes the primary role back (failback).
/// </summary>
public static class Drill
{
    private const string Policy = "infobird";
    private const string Purpose = "offers.relevant";

    /// <summary>Every service of a region, each timed to its first write after the promotion (issue 22.5).</summary>
    public static readonly string[] Services = ["consent", "vault", "retention", "notifications", "incidents"];

    private static readonly Dictionary<string, string> PolicyVariables = new()
    {
        ["policyVersion"] = "drill",
        ["effectiveDate"] = "2026-12-31",
        ["summary"] = "A failover drill's notice.",
        ["reviewUrl"] = "https://example.com/policy/drill",
    };

    public static async Task<DrillResult> RunAsync(RunningSuite suite, DrillOptions options, Action<string> say, CancellationToken cancellationToken = default)
    {
        var primary = suite.Primary;
        var standby = suite.Standby;
        var run = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()));
        var ledger = new Ledger();

        Region Target(string name) => new(name, suite.ProductBackend($"consent-{name}"), suite.ProductBackend($"vault-{name}"),
            suite.ProductBackend($"retention-{name}"), suite.ProductBackend($"notifications-{name}"), suite.OnCall($"incidents-{name}"));
        var regions = new[] { Target(primary), Target(standby) };
        var incident = await DeclareIncidentAsync(regions[0], cancellationToken);

        using var stopWriters = new CancellationTokenSource();
        using var stopReaders = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var next = 0;
        // Each service has writers of its own, so its time to the first write after the promotion is its own, not the
        // time of a consent write plus a vault write in a row.
        string NextSubject() => $"drill-{run}-{Interlocked.Increment(ref next)}";
        var writers = regions.SelectMany(r => Enumerable.Range(0, options.WritersPerRegion).SelectMany(_ => new[]
        {
            Task.Run(() => WriteConsentAsync(r, NextSubject, ledger, clock, stopWriters.Token)),
            Task.Run(() => WriteVaultAsync(r, NextSubject, ledger, clock, stopWriters.Token)),
        })).ToList();
        // The other services' writes are not looked up afterwards; one writer each per region times their first write.
        foreach (var r in regions)
        {
            writers.Add(Task.Run(() => WriteAsync("retention", r, r.Retention, () => new HttpRequestMessage(HttpMethod.Post,
                $"/v1/subjects/{NextSubject()}/purposes/delivery.offline/fulfilled"), ledger, clock, stopWriters.Token)));
            writers.Add(Task.Run(() => WriteAsync("notifications", r, r.Notifications, () => new HttpRequestMessage(HttpMethod.Post, "/v1/notices")
            {
                Headers = { { "Idempotency-Key", Guid.NewGuid().ToString() } },
                Content = JsonContent.Create(new { noticeType = "policy-update", subjectIds = new[] { NextSubject() }, variables = PolicyVariables }),
            }, ledger, clock, stopWriters.Token)));
            writers.Add(Task.Run(() => WriteAsync("incidents", r, r.Incidents, () => new HttpRequestMessage(HttpMethod.Post, $"/v1/incidents/{incident}/notes")
            {
                Content = JsonContent.Create(new { text = $"Drill note {NextSubject()}" }),
            }, ledger, clock, stopWriters.Token)));
        }

        var reader = Task.Run(() => ReadAsync(regions[1], ledger, stopReaders.Token));

        say($"steady load on {primary} and {standby} for {options.Warmup.TotalSeconds:0} s");
        await Task.Delay(options.Warmup, cancellationToken);

        say($"killing {primary}: SIGKILL to its broker, database and services (the kill-region command)");
        var killedAt = clock.Elapsed;
        var killedAtWall = DateTimeOffset.UtcNow;
        var killed = await suite.CommandAsync($"postgres-{primary}", "kill-region", cancellationToken);
        if (!killed.Success)
        {
            throw new InvalidOperationException($"kill-region failed: {killed.Message}");
        }

        // A write sent while the kill was under way may still have been answered by the dying region: only writes sent
        // after every process of it is gone show the survivor taking over.
        var deadAt = clock.Elapsed;

        say($"failing over to {standby} (the failover command of postgres-{standby})");
        var promoting = Stopwatch.StartNew();
        var failover = await suite.CommandAsync($"postgres-{standby}", "failover", cancellationToken);
        if (!failover.Success)
        {
            throw new InvalidOperationException($"The failover was refused: {failover.Message}");
        }

        say(failover.Message ?? "");
        var promoteSeconds = promoting.Elapsed.TotalSeconds;
        var promotedAt = clock.Elapsed;
        say($"promoted in {promoteSeconds:0.00} s; load continues for {options.AfterFailover.TotalSeconds:0} s");
        await Task.Delay(options.AfterFailover, cancellationToken);
        await stopWriters.CancelAsync();
        await Task.WhenAll(writers);
        await stopReaders.CancelAsync();
        await reader;

        var firstWriteAfterKill = ledger.FirstAcknowledgedAfter(deadAt);
        var rto = firstWriteAfterKill is { } t ? (t - killedAt).TotalSeconds : double.PositiveInfinity;
        say($"{ledger.Acknowledged} writes acknowledged; first after the kill at +{rto:0.0} s");
        var perService = Services.ToDictionary(service => service,
            service => ledger.FirstAcknowledgedAfter(deadAt, service) is { } first ? (first - promotedAt).TotalSeconds : (double?)null);
        say("first write after the promotion, per service: " + string.Join(", ", perService.Select(p => p.Value is { } v ? $"{p.Key} +{v:0.00} s" : $"{p.Key} none")));
        say("writes not taken after the promotion, per service and answer: " + (ledger.RefusedAfter(promotedAt) is { Length: > 0 } refused ? refused : "none"));

        var survivor = regions[1];
        var lost = await CountLostAsync(survivor, ledger, cancellationToken);
        say($"acknowledged writes missing in {standby}: {lost}");

        var (undelivered, replayed, duplicates) = await FollowEventsAsync(database => suite.DatabaseAsync(standby, database), killedAtWall, options.DeliveryWait, say, cancellationToken);

        var failback = await FailBackAsync(suite, primary, run, say, cancellationToken);
        return new DrillResult(rto, lost, duplicates, undelivered, replayed, ledger.Acknowledged,
            ledger.Reads, ledger.ReadFailures, ledger.StaleReads, promoteSeconds, failback, perService);
    }

    /// <summary>The drill's incident, declared in the primary region, which the incidents writers add notes to.</summary>
    private static async Task<Guid> DeclareIncidentAsync(Region primary, CancellationToken cancellationToken)
    {
        using var declared = await primary.Incidents.PostAsJsonAsync("/v1/incidents",
            new { title = "Failover drill", type = "ServiceOutage", place = "Beijing region (drill)", awareAt = DateTimeOffset.UtcNow }, cancellationToken);
        declared.EnsureSuccessStatusCode();
        return (await declared.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetGuid();
    }

    /// <summary>
    /// A writer of one light write of a service, over and over, against one region: retention's purpose-fulfilled clock,
    /// a notice to one subject (who has no contact: nothing is sent), a note on the drill's incident.
    /// </summary>
    private static async Task WriteAsync(string service, Region region, HttpClient client, Func<HttpRequestMessage> write, Ledger ledger, Stopwatch clock, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var sent = clock.Elapsed;
            try
            {
                using var request = write();
                using var answer = await client.SendAsync(request, stop);
                if (answer.IsSuccessStatusCode)
                {
                    ledger.Acknowledge(service, sent, clock.Elapsed);
                    continue;
                }

                ledger.Refused($"{service}-{region.Name}", ((int)answer.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), clock.Elapsed);
                await Task.Delay(100, stop);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                ledger.Refused($"{service}-{region.Name}", e.GetType().Name, clock.Elapsed);
                await Task.Delay(100, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A consent writer: a subject registered and a consent granted, over and over, against one region.</summary>
    private static async Task WriteConsentAsync(Region region, Func<string> nextSubject, Ledger ledger, Stopwatch clock, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var subject = nextSubject();
            var sent = clock.Elapsed;
            try
            {
                using var registered = await region.Consent.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = Policy, ageBand = "18-plus" }, stop);
                if (!registered.IsSuccessStatusCode)
                {
                    ledger.Refused($"consent-{region.Name}", ((int)registered.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), clock.Elapsed);
                    await Task.Delay(100, stop);
                    continue;
                }

                ledger.Subject(subject, sent, clock.Elapsed);
                sent = clock.Elapsed;
                using var granted = await region.Consent.PostAsJsonAsync($"/v1/subjects/{subject}/consents",
                    new { purpose = Purpose, policyVersion = "1.0", collectionMethod = "web-form", jurisdiction = "CN" }, stop);
                if (granted.IsSuccessStatusCode)
                {
                    ledger.Grant(subject, sent, clock.Elapsed);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                // The killed region refuses connections; unacknowledged writes are not counted.
                ledger.Refused($"consent-{region.Name}", e.GetType().Name, clock.Elapsed);
                await Task.Delay(100, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A vault writer: delivery data stored under the contract basis (no consent needed), over and over, against one region.</summary>
    private static async Task WriteVaultAsync(Region region, Func<string> nextSubject, Ledger ledger, Stopwatch clock, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var subject = nextSubject();
            var sent = clock.Elapsed;
            try
            {
                using var stored = await region.Vault.PostAsJsonAsync($"/v1/subjects/{subject}/data",
                    new { category = "delivery", source = "provided", legalBasis = "contract", purposes = new[] { "delivery.offline" }, fields = new Dictionary<string, string> { ["address"] = $"No. {subject} Drill Road" } }, stop);
                if (!stored.IsSuccessStatusCode)
                {
                    ledger.Refused($"vault-{region.Name}", ((int)stored.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), clock.Elapsed);
                    await Task.Delay(100, stop);
                    continue;
                }

                var tokens = (await stored.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("tokens").EnumerateObject().Select(p => p.Value.GetString()!).ToList();
                ledger.Store(tokens, sent, clock.Elapsed);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                ledger.Refused($"vault-{region.Name}", e.GetType().Name, clock.Elapsed);
                await Task.Delay(100, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Consent checks against the standby region for subjects whose grant was acknowledged: they must never fail.</summary>
    private static async Task ReadAsync(Region region, Ledger ledger, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (ledger.RandomGrant() is not { } subject)
            {
                await Task.Delay(50, CancellationToken.None);
                continue;
            }

            try
            {
                using var response = await region.Consent.GetAsync($"/v1/consents/check?subjectId={subject}&purpose={Purpose}", stop);
                var allowed = response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("allowed").GetBoolean();
                ledger.Read(response.IsSuccessStatusCode, stale: response.IsSuccessStatusCode && !allowed);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                ledger.Read(ok: false, stale: false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await Task.Delay(10, CancellationToken.None);
        }
    }

    private static async Task<int> CountLostAsync(Region survivor, Ledger ledger, CancellationToken cancellationToken)
    {
        var lost = 0;
        foreach (var (subject, granted) in ledger.Subjects())
        {
            using var response = await survivor.Consent.GetAsync($"/v1/subjects/{subject}/consents", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                lost += granted ? 2 : 1;
                continue;
            }

            var consents = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("consents");
            if (granted && !consents.EnumerateArray().Any(c => c.GetProperty("purpose").GetString() == Purpose && c.GetProperty("state").GetString() == "granted"))
            {
                lost++;
            }
        }

        foreach (var tokens in ledger.Stores().Chunk(50))
        {
            using var response = await survivor.Vault.PostAsJsonAsync("/v1/detokenize", new { tokens = tokens.SelectMany(t => t).ToList(), purpose = "delivery.offline" }, cancellationToken);
            var found = response.IsSuccessStatusCode
                ? (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("values").GetArrayLength()
                : 0;
            lost += tokens.Sum(t => t.Count) - found;
        }

        return lost;
    }

    /// <summary>
    /// Every event committed before the kill must reach its consumer in the surviving region: ConsentGranted the vault,
    /// SubjectDataStored retention. Counts the events still missing after the wait, the events the promoted outboxes
    /// published again, and effects recorded more than once.
    /// </summary>
    private static async Task<(int Undelivered, int Replayed, int Duplicates)> FollowEventsAsync(
        Func<string, Task<string>> connect, DateTimeOffset killedAt, TimeSpan wait, Action<string> say, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        int undelivered, committed;
        while (true)
        {
            var grants = await UndeliveredAsync(connect, "consentdb", "ConsentGranted", "vaultdb", "ForgetDecisionOnConsentGranted", killedAt, cancellationToken);
            var stores = await UndeliveredAsync(connect, "vaultdb", "SubjectDataStored", "retentiondb", "RecordInventoryOnSubjectDataStored", killedAt, cancellationToken);
            (undelivered, committed) = (grants.Missing + stores.Missing, grants.Committed + stores.Committed);
            if (undelivered == 0 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(500, cancellationToken);
        }

        var replayed = 0;
        foreach (var database in new[] { "consentdb", "vaultdb" })
        {
            replayed += await ScalarAsync(connect, database,
                "select count(*) from outbox_messages where created_at < @killed and sent_at > @killed", killedAt, cancellationToken);
        }

        var duplicates =
            await ScalarAsync(connect, "vaultdb", "select count(*) from (select 1 from inbox_messages group by message_id, consumer having count(*) > 1) d", killedAt, cancellationToken)
            + await ScalarAsync(connect, "retentiondb", "select count(*) from (select 1 from inbox_messages group by message_id, consumer having count(*) > 1) d", killedAt, cancellationToken)
            + await ScalarAsync(connect, "retentiondb", "select count(*) from (select 1 from inventory_items group by token having count(*) > 1) d", killedAt, cancellationToken);
        say($"events committed before the kill: {committed}; not delivered: {undelivered}; re-published after promotion: {replayed}; duplicate effects: {duplicates}");
        return (undelivered, replayed, duplicates);
    }

    private static async Task<(int Committed, int Missing)> UndeliveredAsync(Func<string, Task<string>> database, string producerDb, string eventType, string consumerDb, string consumer, DateTimeOffset killedAt, CancellationToken cancellationToken)
    {
        var committed = new List<Guid>();
        await using (var connection = new NpgsqlConnection(await database(producerDb)))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("select message_id from outbox_messages where message_type like @type and created_at < @killed", connection);
            command.Parameters.AddWithValue("type", $"PrivacySuite.Contracts.{eventType},%");
            command.Parameters.AddWithValue("killed", killedAt);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                committed.Add(reader.GetGuid(0));
            }
        }

        await using var consumed = new NpgsqlConnection(await database(consumerDb));
        await consumed.OpenAsync(cancellationToken);
        await using var check = new NpgsqlCommand("select count(*) from inbox_messages where consumer = @consumer and message_id = any(@ids)", consumed);
        check.Parameters.AddWithValue("consumer", consumer);
        check.Parameters.AddWithValue("ids", committed.ToArray());
        return (committed.Count, committed.Count - (int)(long)(await check.ExecuteScalarAsync(cancellationToken))!);
    }

    private static async Task<int> ScalarAsync(Func<string, Task<string>> databases, string database, string sql, DateTimeOffset killedAt, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(await databases(database));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("killed", killedAt);
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The lost region comes back as the standby (rebuilt from the new primary), then takes the primary role back.</summary>
    private static async Task<double?> FailBackAsync(RunningSuite suite, string region, string run, Action<string> say, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        say($"{region} rejoins as the standby");
        var rejoin = await suite.CommandAsync($"postgres-{region}", "rejoin", cancellationToken);
        if (!rejoin.Success)
        {
            say($"rejoin refused: {rejoin.Message}");
            return null;
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(240);
        while (!(RunningSuite.ResourceNames.Where(r => r.EndsWith(region, StringComparison.Ordinal)).All(suite.IsHealthy) &&
                 suite.Property($"postgres-{suite.Primary}", "replication.mode") == "sync"))
        {
            if (DateTime.UtcNow > deadline)
            {
                say($"{region} did not rejoin within 240 s");
                return null;
            }

            await Task.Delay(500, cancellationToken);
        }

        say($"{region} streams synchronously again after {clock.Elapsed.TotalSeconds:0.0} s; failing back");
        var failback = await suite.CommandAsync($"postgres-{region}", "failover", cancellationToken);
        if (!failback.Success)
        {
            say($"failback refused: {failback.Message}");
            return null;
        }

        using var consent = suite.ProductBackend($"consent-{region}");
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var write = await consent.PostAsJsonAsync("/v1/subjects", new { subjectId = $"drill-{run}-failback", policyId = Policy, ageBand = "18-plus" }, cancellationToken);
                if (write.IsSuccessStatusCode)
                {
                    say($"{region} is the primary again and took a write {clock.Elapsed.TotalSeconds:0.0} s after the rejoin began");
                    return clock.Elapsed.TotalSeconds;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Still switching roles.
            }

            await Task.Delay(250, cancellationToken);
        }

        say($"{region} took no write within 60 s of the failback");
        return null;
    }

    private sealed record Region(string Name, HttpClient Consent, HttpClient Vault, HttpClient Retention, HttpClient Notifications, HttpClient Incidents);

    /// <summary>What the clients were told was done, and what the standby's reads saw.</summary>
    private sealed class Ledger
    {
        private readonly ConcurrentDictionary<string, bool> _subjects = new();
        private readonly ConcurrentBag<IReadOnlyList<string>> _stores = [];
        // Which service took each acknowledged write, when it was sent, and when its answer came.
        private readonly ConcurrentBag<(string Service, TimeSpan Sent, TimeSpan Acknowledged)> _acknowledged = [];
        private readonly List<string> _granted = [];
        // Writes the regions did not take, by service and answer (a status code, or the exception's type), and when.
        private readonly ConcurrentBag<(string Service, string Answer, TimeSpan At)> _refused = [];
        private int _reads;
        private int _readFailures;
        private int _staleReads;

        public int Acknowledged => _acknowledged.Count;

        public void Refused(string service, string answer, TimeSpan at) => _refused.Add((service, answer, at));

        /// <summary>What each service answered the writes it did not take after <paramref name="after"/>, e.g. "vault 503×12".</summary>
        public string RefusedAfter(TimeSpan after) => string.Join(", ", _refused.Where(r => r.At > after)
            .GroupBy(r => (r.Service, r.Answer)).OrderBy(g => g.Key.Service).ThenBy(g => g.Key.Answer)
            .Select(g => $"{g.Key.Service} {g.Key.Answer}×{g.Count()} (last at +{(g.Max(r => r.At) - after).TotalSeconds:0.0} s)"));

        public int Reads => _reads;

        public int ReadFailures => _readFailures;

        public int StaleReads => _staleReads;

        public void Subject(string subject, TimeSpan sent, TimeSpan at)
        {
            _subjects[subject] = false;
            _acknowledged.Add(("consent", sent, at));
        }

        public void Grant(string subject, TimeSpan sent, TimeSpan at)
        {
            _subjects[subject] = true;
            lock (_granted)
            {
                _granted.Add(subject);
            }

            _acknowledged.Add(("consent", sent, at));
        }

        public void Acknowledge(string service, TimeSpan sent, TimeSpan at) => _acknowledged.Add((service, sent, at));

        public void Store(IReadOnlyList<string> tokens, TimeSpan sent, TimeSpan at)
        {
            _stores.Add(tokens);
            _acknowledged.Add(("vault", sent, at));
        }

        public void Read(bool ok, bool stale)
        {
            Interlocked.Increment(ref _reads);
            if (!ok)
            {
                Interlocked.Increment(ref _readFailures);
            }

            if (stale)
            {
                Interlocked.Increment(ref _staleReads);
            }
        }

        public string? RandomGrant()
        {
            lock (_granted)
            {
                return _granted.Count == 0 ? null : _granted[Random.Shared.Next(_granted.Count)];
            }
        }

        /// <summary>The answer to the first write sent after <paramref name="at"/> (one in flight at the kill does not count), of one service or any.</summary>
        public TimeSpan? FirstAcknowledgedAfter(TimeSpan at, string? service = null) =>
            _acknowledged.Where(w => w.Sent > at && (service is null || w.Service == service)).Select(w => w.Acknowledged).DefaultIfEmpty(TimeSpan.MaxValue).Min() is var first && first != TimeSpan.MaxValue ? first : null;

        public IEnumerable<(string Subject, bool Granted)> Subjects() => _subjects.Select(p => (p.Key, p.Value));

        public IEnumerable<IReadOnlyList<string>> Stores() => _stores;
    }
}
