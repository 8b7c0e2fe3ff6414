using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.FailoverDrill;
using PrivacySuite.ServiceDefaults.Regions;

namespace PrivacySuite.Suite.Tests;

/// <summary>The whole topology as the real AppHost runs it: resources, Aspire's contract, commands, regions, the failover drill.</summary>
[Collection(SuiteCollection.Name)]
public sealed class RunningSuiteTests(SuiteFixture fixture, ITestOutputHelper output)
{
    private RunningSuite Suite => fixture.Suite;

    [Fact]
    [Order(1)]
    public async Task Every_resource_of_both_regions_runs_healthy_and_services_get_their_configuration_from_aspires_contract()
    {
        output.WriteLine($"every resource Running and Healthy {Suite.TimeToHealthy.TotalSeconds:0} s after the start");
        Assert.All(RunningSuite.ResourceNames, name => Assert.True(Suite.IsHealthy(name), $"{name} is {Suite.State(name)}"));

        foreach (var name in RunningSuite.ResourceNames.Where(n => n.Split('-')[0] is "consent" or "vault" or "retention" or "incidents" or "notifications"))
        {
            using var http = new HttpClient { BaseAddress = Suite.Endpoint(name) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        }

        Assert.True(Suite.App.ResourceNotifications.TryGetCurrentState("vault-guangzhou", out var vault));
        var environment = vault.Snapshot.EnvironmentVariables.Where(e => e.IsFromSpec).ToDictionary(e => e.Name, e => e.Value);
        Assert.StartsWith("Host=127.0.0.1;", environment["ConnectionStrings__vaultdb"], StringComparison.Ordinal);
        Assert.EndsWith(";Database=vaultdb", environment["ConnectionStrings__vaultdb"], StringComparison.Ordinal);
        Assert.StartsWith("amqp://vault:", environment["ConnectionStrings__rabbitmq"], StringComparison.Ordinal);
        Assert.Equal(Suite.Endpoint("consent-guangzhou").ToString().TrimEnd('/'), environment["services__consent__http__0"]);
        Assert.Equal(Suite.Endpoint("vault-beijing").ToString().TrimEnd('/'), environment["services__peer__http__0"]);
        Assert.Equal("guangzhou", environment["PrivacySuite__Region"]);
        Assert.Equal("vault-guangzhou", environment["OTEL_SERVICE_NAME"]);

        // The vault connects as the owner of its own database: no superuser, no way into another service's database.
        var vaultDb = environment["ConnectionStrings__vaultdb"] + ";Pooling=false";
        Assert.Contains(";Username=vault;", vaultDb, StringComparison.Ordinal);
        await using (var connection = new NpgsqlConnection(vaultDb))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select rolsuper or rolcreaterole or rolcreatedb from pg_roles where rolname = current_user", connection);
            Assert.Equal(false, await command.ExecuteScalarAsync());
        }

        await using var consentDb = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(vaultDb) { Database = "consentdb" }.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => consentDb.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);

        // And to its region's broker as a user of its own, which may not publish another service's events.
        await using var broker = await new ConnectionFactory { Uri = new Uri(environment["ConnectionStrings__rabbitmq"]!) }.CreateConnectionAsync();
        await using var channel = await broker.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var forged = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() =>
            channel.BasicPublishAsync("PrivacySuite.Contracts:ConsentWithdrawn", "", "{}"u8.ToArray()).AsTask());
        Assert.Equal((ushort)Constants.AccessRefused, forged.ShutdownReason?.ReplyCode);
    }

    [Fact]
    [Order(4)]
    public async Task A_write_too_large_for_the_primary_is_refused_by_the_standby_with_413_not_an_outage()
    {
        using var guangzhou = Suite.ProductBackend($"consent-{Suite.Standby}");
        var body = new StringContent($$"""{"subjectId":"big-body","policyId":"infobird","ageBand":"18-plus","note":"{{new string('x', 100_000)}}"}""",
            System.Text.Encoding.UTF8, "application/json");

        using var response = await guangzhou.PostAsync("/v1/subjects", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    [Order(5)]
    public async Task A_restart_command_brings_a_service_back_healthy()
    {
        // The consent service: every product backend's hot path. (retention-beijing has been seen to take longer than the
        // 15 s Aspire allows a stop right after the suite started; see docs/running.md.)
        var result = await Suite.CommandAsync("consent-beijing", "restart");

        Assert.True(result.Success, result.Message);
        await fixture.AllHealthyAsync();
        using var http = new HttpClient { BaseAddress = Suite.Endpoint("consent-beijing") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    [Order(3)]
    [Trait("Clause", "INF-1.4")]
    [Trait("Clause", "INF-6.5")]
    public async Task A_withdrawal_sent_to_the_standby_region_is_honoured_by_both_regions_within_one_second()
    {
        using var beijing = Suite.ProductBackend("consent-beijing");
        using var guangzhou = Suite.ProductBackend("consent-guangzhou");
        var subject = $"regions-{Guid.NewGuid():N}"[..24];

        // Writes sent to the standby are passed to the primary, which says so in a header.
        using (var registered = await guangzhou.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = "infobird", ageBand = "18-plus" }))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            Assert.Equal("guangzhou", registered.Headers.GetValues(PrivacySuite.ServiceDefaults.Regions.StandbyForwarding.ForwardedFromHeader).Single());
        }

        using (var granted = await guangzhou.PostAsJsonAsync($"/v1/subjects/{subject}/consents",
                   new { purpose = "offers.relevant", policyVersion = "1.0", collectionMethod = "web-form", jurisdiction = "CN" }))
        {
            Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        }

        Assert.True(await AllowedAsync(beijing, subject));
        Assert.True(await AllowedAsync(guangzhou, subject));

        using (var withdrawn = await guangzhou.DeleteAsync($"/v1/subjects/{subject}/consents/offers.relevant"))
        {
            Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        var honoured = new Dictionary<string, TimeSpan>();
        while (honoured.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            foreach (var (name, client) in new[] { ("beijing", beijing), ("guangzhou", guangzhou) })
            {
                if (!honoured.ContainsKey(name) && !await AllowedAsync(client, subject))
                {
                    honoured[name] = clock.Elapsed;
                }
            }
        }

        output.WriteLine($"withdrawal honoured: beijing after {honoured.GetValueOrDefault("beijing").TotalMilliseconds:0} ms, guangzhou after {honoured.GetValueOrDefault("guangzhou").TotalMilliseconds:0} ms");
        Assert.Equal(2, honoured.Count);
        Assert.All(honoured.Values, t => Assert.True(t < TimeSpan.FromSeconds(1), $"honoured after {t.TotalMilliseconds:0} ms"));

        static async Task<bool> AllowedAsync(HttpClient client, string subject)
        {
            using var check = await client.GetAsync($"/v1/consents/check?subjectId={subject}&purpose=offers.relevant");
            var body = await check.Content.ReadAsStringAsync();
            Assert.True(check.IsSuccessStatusCode, $"{client.BaseAddress} answered the check {(int)check.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.GetProperty("allowed").GetBoolean();
        }
    }

    [Fact]
    [Order(3)]
    [Trait("Clause", "INF-7.1")]
    [Trait("Clause", "IWK-0.1")]
    public async Task Publishing_a_policy_version_mails_every_subject_of_the_policy_in_their_own_language_with_no_list_typed_by_anyone()
    {
        // The scooter policy: no other suite test registers its subjects or relies on its version.
        var region = Suite.Primary;
        using var consent = Suite.ProductBackend($"consent-{region}");
        using var vault = Suite.ProductBackend($"vault-{region}");
        using var officer = new HttpClient { BaseAddress = Suite.Endpoint($"consent-{region}") };
        officer.DefaultRequestHeaders.Authorization = new("Bearer",
            Suite.Credentials.IssueToken("suite-test-officer", [PrivacySuite.ServiceDefaults.Auth.SuiteRoles.PrivacyOfficer], TimeSpan.FromMinutes(10)));
        var run = Guid.NewGuid().ToString("N")[..10];
        var people = new[] { (Subject: $"announce-zh-{run}", Language: "zh-CN"), (Subject: $"announce-en-{run}", Language: "en") };
        foreach (var (subject, language) in people)
        {
            using var registered = await consent.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = "iwalk-scooter", ageBand = "18-plus" });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            using var stored = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/data",
                new { category = "contact", source = "provided", legalBasis = "consent", fields = new { email = $"{subject}@example.cn", language } });
            Assert.True(stored.IsSuccessStatusCode, $"storing the contact answered {(int)stored.StatusCode}: {await stored.Content.ReadAsStringAsync()}");
        }

        var version = $"v{run}";
        using (var published = await officer.PublishVersionAsync("iwalk-scooter", new
        {
            version,
            changedPurposes = Array.Empty<string>(),
            announcement = new
            {
                effectiveDate = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                summary = new { en = $"Ride history is kept for 90 days ({run}).", zhCn = $"骑行记录保存 90 天（{run}）。" },
                reviewUrl = "https://example.com/policy/iwalk-scooter",
            },
        }))
        {
            Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        }

        using var mail = new HttpClient { BaseAddress = Suite.Endpoint($"maildev-{region}", "web") };
        List<PrivacySuite.Testing.ReceivedMail> received = [];
        await PrivacySuite.Testing.Eventually.HoldsAsync(async () =>
        {
            var all = await mail.GetFromJsonAsync<List<PrivacySuite.Testing.ReceivedMail>>("email") ?? [];
            received = all.Where(m => m.To.Any(t => t.Address.Contains(run, StringComparison.Ordinal))).ToList();
            return received.Count >= people.Length;
        }, TimeSpan.FromSeconds(60), "the policy-update notice reaches both subjects");

        var chinese = Assert.Single(received, m => m.Recipient.StartsWith("announce-zh-", StringComparison.Ordinal));
        var english = Assert.Single(received, m => m.Recipient.StartsWith("announce-en-", StringComparison.Ordinal));
        Assert.Contains($"版本 {version}", chinese.Subject, StringComparison.Ordinal);
        Assert.Contains($"骑行记录保存 90 天（{run}）。", chinese.Text, StringComparison.Ordinal);
        Assert.Contains($"version {version}", english.Subject, StringComparison.Ordinal);
        Assert.Contains($"Ride history is kept for 90 days ({run}).", english.Text, StringComparison.Ordinal);
    }

    [Fact]
    [Order(2)]
    [Trait("Clause", "INF-3.2")]
    public async Task Replication_shows_on_the_clusters_and_falls_back_to_asynchronous_without_the_standby_and_returns()
    {
        var primary = Suite.Primary;
        var standby = Suite.Standby;
        await ReplicationModeAsync(primary, "sync");
        Assert.Equal("primary", Suite.Property($"postgres-{primary}", "region.role"));
        Assert.Equal("standby", Suite.Property($"postgres-{standby}", "region.role"));
        Assert.NotEmpty(Suite.Property($"postgres-{primary}", "replication.lag_bytes")!);

        var table = $"writes_{Guid.NewGuid():N}"[..20];
        await ExecuteAsync(primary, $"create table {table} (id int primary key); insert into {table} values (1)");
        // remote_apply: a committed row is readable on the standby the moment the commit returns.
        Assert.Equal(1L, await ScalarAsync(standby, $"select count(*) from {table}"));

        Assert.True((await Suite.CommandAsync($"postgres-{standby}", "stop")).Success);
        await ReplicationModeAsync(primary, "async");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            // The primary keeps taking writes while the standby is gone.
            await ExecuteAsync(primary, $"insert into {table} values (2)", timeout.Token);
        }

        Assert.True((await Suite.CommandAsync($"postgres-{standby}", "start")).Success);
        await ReplicationModeAsync(primary, "sync");
        Assert.Equal(2L, await ScalarAsync(standby, $"select count(*) from {table}"));
        await fixture.AllHealthyAsync();
    }

    [Fact]
    [Order(6)]
    [Trait("Clause", "INF-1.4")]
    public async Task A_planned_failover_command_fences_the_old_primary_rebuilds_it_as_the_standby_and_fails_back()
    {
        var primary = Suite.Primary;
        var standby = Suite.Standby;
        await ReplicationModeAsync(primary, "sync");
        var table = $"failover_{Guid.NewGuid():N}"[..20];
        await ExecuteAsync(primary, $"create table {table} (id int primary key); insert into {table} values (10)");

        var refused = await Suite.CommandAsync($"postgres-{primary}", "failover");
        Assert.False(refused.Success);

        var result = await Suite.CommandAsync($"postgres-{standby}", "failover");
        output.WriteLine(result.Message);
        Assert.True(result.Success, result.Message);
        Assert.Contains("fenced (SIGKILL)", result.Message, StringComparison.Ordinal);
        Assert.Equal(standby, Suite.Primary);
        await ExecuteAsync(standby, $"insert into {table} values (11)");

        // The old primary comes back only as a standby of the new one: never two primaries.
        await Eventually.HoldsAsync(async () => Suite.IsHealthy($"postgres-{primary}") && await InRecoveryAsync(primary),
            TimeSpan.FromSeconds(120), $"postgres-{primary} rebuilt as a standby");
        var readOnly = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(primary, $"insert into {table} values (12)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, readOnly.SqlState);
        await Eventually.HoldsAsync(async () => await ScalarAsync(primary, $"select count(*) from {table}") == 2, TimeSpan.FromSeconds(10), "both rows on the rebuilt standby");

        // Back as it was, for the other tests.
        await ReplicationModeAsync(standby, "sync");
        var back = await Suite.CommandAsync($"postgres-{primary}", "failover");
        Assert.True(back.Success, back.Message);
        Assert.Equal(primary, Suite.Primary);
        await ReplicationModeAsync(primary, "sync");
        await fixture.AllHealthyAsync();
    }

    [Fact]
    [Order(7)]
    [Trait("Clause", "INF-1.4")]
    public async Task An_unplanned_failover_after_replication_fell_back_to_asynchronous_is_refused_unless_the_loss_is_accepted_and_recorded()
    {
        var primary = Suite.Primary;
        var standby = Suite.Standby;
        await ReplicationModeAsync(primary, "sync");
        var table = $"loss_{Guid.NewGuid():N}"[..20];
        await ExecuteAsync(primary, $"create table {table} (id int primary key)");

        // The standby goes away, replication falls back to asynchronous, and the primary acknowledges a write the
        // standby never sees; then the primary is lost too.
        Assert.True((await Suite.CommandAsync($"postgres-{standby}", "stop")).Success);
        await ReplicationModeAsync(primary, "async");
        await ExecuteAsync(primary, $"insert into {table} values (1)");
        Assert.True((await Suite.CommandAsync($"postgres-{primary}", "stop")).Success);
        // Only once the old primary's postmaster is gone: a standby that started while it was still shutting down would
        // stream the write after all, and there would be no loss to refuse.
        var primaryPort = Suite.Endpoint($"postgres-{primary}", "tcp").Port;
        await Eventually.HoldsAsync(() => Task.FromResult(!Ports.IsInUse(primaryPort)), TimeSpan.FromSeconds(30), $"postgres-{primary} stopped");
        Assert.True((await Suite.CommandAsync($"postgres-{standby}", "start")).Success);
        await Eventually.HoldsAsync(() => Task.FromResult(Suite.IsHealthy($"postgres-{standby}")), TimeSpan.FromSeconds(60), $"postgres-{standby} back as a standby");

        var refused = await Suite.CommandAsync($"postgres-{standby}", "failover");
        output.WriteLine(refused.Message);
        Assert.False(refused.Success);
        Assert.Contains("asynchronous", refused.Message, StringComparison.Ordinal);
        Assert.Equal(primary, Suite.Primary);

        var accepted = await Suite.App.ResourceCommands.ExecuteCommandAsync($"postgres-{standby}", "failover",
            new Aspire.Hosting.InteractionInputCollection([new Aspire.Hosting.InteractionInput { Name = "accept-loss", InputType = Aspire.Hosting.InputType.Boolean, Value = "true" }]));
        output.WriteLine(accepted.Message);
        Assert.True(accepted.Success, accepted.Message);
        Assert.Equal(standby, Suite.Primary);
        Assert.Equal(0L, await ScalarAsync(standby, $"select count(*) from {table}")); // the loss was real
        var history = await File.ReadAllLinesAsync(Path.Combine(Suite.StateDir, PrivacySuite.AppHost.Hosting.Replication.RegionRoles.HistoryFileName));
        Assert.Contains("asynchronous", JsonDocument.Parse(history[^1]).RootElement.GetProperty("AcceptedLoss").GetString(), StringComparison.Ordinal);

        // Back as it was: the old primary rejoins as the standby, then takes the role back.
        Assert.True((await Suite.CommandAsync($"postgres-{primary}", "rejoin")).Success);
        await ReplicationModeAsync(standby, "sync");
        Assert.True((await Suite.CommandAsync($"postgres-{primary}", "failover")).Success);
        await ReplicationModeAsync(primary, "sync");
        await fixture.AllHealthyAsync();
    }

    [Fact]
    [Order(100)]
    [Trait("Clause", "INF-1.4")]
    [Trait("Clause", "INF-3.2")]
    public async Task Losing_the_primary_region_loses_no_acknowledged_write_and_the_roles_switch_back()
    {
        // The failover drill of eng/failover-drill.sh: the primary region killed hard, the standby promoted, the old primary back.
        var suite = fixture.Suite;
        var drillOutput = TestOutput.Sink("drill");
        var result = await Drill.RunAsync(suite, DrillOptions.Default, drillOutput);
        drillOutput(result.Summary);
        drillOutput(result.Details);

        Assert.Equal(0, result.LostAcknowledged);
        Assert.Equal(0, result.UndeliveredEvents);
        Assert.Equal(0, result.DuplicateEffects);
        Assert.True(result.AcknowledgedWrites > 0, "the drill acknowledged no write at all");
        Assert.True(result.RtoSeconds <= DrillResult.RtoGoalSeconds, $"writes resumed {result.RtoSeconds:0.0} s after the kill");
        Assert.True(result.StandbyReads > 0);
        Assert.Equal(0, result.StandbyReadFailures);
        Assert.NotNull(result.FailbackSeconds);

        // After the failback exactly one region takes writes: Guangzhou passes them to Beijing, whose database is the only writable one.
        Assert.Equal("beijing", suite.Primary);
        await Eventually.HoldsAsync(() => Task.FromResult(suite.Property("postgres-beijing", "replication.mode") == "sync"),
            TimeSpan.FromSeconds(120), "postgres-guangzhou back as the synchronous standby");
        await fixture.AllHealthyAsync();

        using var guangzhou = suite.ProductBackend("consent-guangzhou");
        await Eventually.HoldsAsync(async () =>
        {
            using var write = await guangzhou.PostAsJsonAsync("/v1/subjects", new { subjectId = $"after-drill-{Guid.NewGuid():N}"[..30], policyId = "infobird", ageBand = "18-plus" });
            return write.IsSuccessStatusCode && write.Headers.TryGetValues(StandbyForwarding.ForwardedFromHeader, out var from) && from.Single() == "guangzhou";
        }, TimeSpan.FromSeconds(30), "a write sent to Guangzhou is passed to the primary, Beijing");
    }

    /// <summary>Whether the region's cluster is a standby; false while it does not answer (fenced, being rebuilt).</summary>
    private async Task<bool> InRecoveryAsync(string region)
    {
        try
        {
            return await ScalarAsync(region, "select pg_is_in_recovery()::int::bigint") == 1;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private Task ReplicationModeAsync(string primary, string mode) =>
        Eventually.HoldsAsync(() => Task.FromResult(Suite.Property($"postgres-{primary}", "replication.mode") == mode),
            TimeSpan.FromSeconds(60), $"replication from {primary} {mode}");

    private async Task ExecuteAsync(string region, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(await Suite.DatabaseAsync(region));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<long> ScalarAsync(string region, string sql)
    {
        await using var connection = new NpgsqlConnection(await Suite.DatabaseAsync(region));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
