using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

public sealed class SweepTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    public async Task Dry_run_reports_what_would_go_and_changes_nothing()
    {
        var subject = Helpers.NewSubject("dry");
        await Helpers.StoreAsync(factory, subject, DataCategory.Location, 3, factory.Clock.GetUtcNow().AddDays(-100));
        var outboxBefore = await factory.ScalarAsync<long>("select count(*) from outbox_messages");
        using var client = factory.ClientFor(SuiteRoles.Operator);

        using var response = await client.PostAsJsonAsync("/v1/sweeps", new { dryRun = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        var example = report.GetProperty("examples").EnumerateArray().Single(e => e.GetProperty("subjectId").GetString() == subject);
        Assert.Equal("Location", example.GetProperty("category").GetString());
        Assert.Equal("erase", example.GetProperty("action").GetString());
        Assert.Equal(3, example.GetProperty("tokens").GetInt32());
        Assert.Equal(outboxBefore, await factory.ScalarAsync<long>("select count(*) from outbox_messages"));
        Assert.Equal(3, (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32());
        Assert.Equal(0L, await factory.ScalarAsync<long>("select count(*) from sweeps where state = 'running'"));
    }

    [Fact]
    [Trait("Clause", "INF-2.2")]
    public async Task Schedules_are_versioned_and_a_new_version_rules_the_next_sweep()
    {
        using var officer = factory.ClientFor(SuiteRoles.PrivacyOfficer, "officer-zhao");
        using var put = await officer.PutAsJsonAsync("/v1/schedules/Device/marketing.offers", new { periodDays = 10, action = "erase", trigger = "last-use", note = "offers" });
        using var put2 = await officer.PutAsJsonAsync("/v1/schedules/Device/marketing.offers", new { periodDays = 20, action = "anonymise", trigger = "last-use" });
        Assert.Equal(HttpStatusCode.OK, put2.StatusCode);

        var versions = await officer.GetFromJsonAsync<JsonElement>("/v1/schedules/Device/marketing.offers/versions");
        Assert.Equal([2, 1], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        var current = await officer.GetFromJsonAsync<JsonElement>("/v1/schedules");
        var rule = current.EnumerateArray().Single(s => s.GetProperty("category").GetString() == "Device" && s.GetProperty("purpose").GetString() == "marketing.offers");
        Assert.Equal(("anonymise", 20, "officer-zhao"), (rule.GetProperty("action").GetString(), rule.GetProperty("periodDays").GetInt32(), rule.GetProperty("changedBy").GetString()));

        var subject = Helpers.NewSubject("sched");
        var tokens = await Helpers.StoreAsync(factory, subject, DataCategory.Device, 1, purpose: "marketing.offers");
        await factory.FarSide.PublishAsync(new SubjectDataUsed(subject, tokens[0], factory.Clock.GetUtcNow().AddDays(15)));
        await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>($"select count(*) from inventory_items where token = '{tokens[0]}' and last_used_at is not null") == 1,
            Helpers.Delivery, "the use was recorded");

        factory.Clock.Advance(TimeSpan.FromDays(30)); // 15 days after the last use: version 1 would erase, version 2 keeps it
        await Helpers.SweepAsync(factory);
        Assert.Equal(0, await Helpers.RemovalsCommittedAsync(factory, subject));

        factory.Clock.Advance(TimeSpan.FromDays(6));
        await Helpers.SweepAsync(factory);
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Anonymisations.Any(a => a.Message.SubjectId == subject)), Helpers.Delivery, "the device token was anonymised");
        var request = factory.FarSide.Anonymisations.Single(a => a.Message.SubjectId == subject).Message;
        Assert.Equal("schedule:Device/marketing.offers/v2", request.Reason);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_removal_the_vault_refuses_puts_the_tokens_back_as_they_were_and_the_next_sweep_asks_again()
    {
        var subject = Helpers.NewSubject("refused");
        var storedAt = factory.Clock.GetUtcNow().AddDays(-100);
        // PostgreSQL keeps microseconds and Npgsql truncates to them; a literal with 100 ns digits would be rounded instead.
        var storedAtAsStored = storedAt.AddTicks(-(storedAt.Ticks % 10));
        var tokens = await Helpers.StoreAsync(factory, subject, DataCategory.Location, 2, storedAt);
        factory.FarSide.AnswersAsVault = false;
        try
        {
            await Helpers.SweepAsync(factory);
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ErasuresFor(subject).Any()), Helpers.Delivery, "the erasure was requested");
            Assert.Equal(0, (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32());

            // The vault knows a hold retention has not heard of yet; the other subjects of the request, if any, it removed.
            var request = Assert.Single(factory.FarSide.ErasuresFor(subject));
            await factory.FarSide.PublishAsync(new RemovalsAnswered(request.SweepItemId!.Value, "erase", DataCategory.Location, [subject], [], DateTimeOffset.UtcNow,
                [Region.Beijing, Region.Guangzhou]));

            await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>(
                    $"select count(*) from sweep_items where id = '{request.SweepItemId}' and state <> 'requested' and refused_subjects = array['{subject}']") == 1,
                Helpers.Delivery, "the refusal closed the sweep item");
            Assert.Equal(2, (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32());
            Assert.Equal(2L, await factory.ScalarAsync<long>(
                $"select count(*) from inventory_items where subject_id = '{subject}' and category = 'Location' and purpose = '*' and stored_at = '{storedAtAsStored:O}'"));

            await Helpers.SweepAsync(factory);
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ErasuresFor(subject).Count() == 2), Helpers.Delivery, "the next sweep asked again");
            Assert.Equal(tokens.Order(StringComparer.Ordinal), factory.FarSide.ErasuresFor(subject).Last().Tokens!.Order(StringComparer.Ordinal));
        }
        finally
        {
            factory.FarSide.AnswersAsVault = true;
        }
    }

    public static TheoryData<string, string, string> BadSchedules => new()
    {
        { "Business", "*", """{"periodDays":1,"action":"erase","trigger":"collection"}""" },
        { "Device", "NOT A PURPOSE", """{"periodDays":1,"action":"erase","trigger":"collection"}""" },
        { "Device", "*", """{"periodDays":-1,"action":"erase","trigger":"collection"}""" },
        { "Device", "*", """{"periodDays":1,"action":"shred","trigger":"collection"}""" },
        { "Device", "*", """{"periodDays":1,"action":"erase","trigger":"whenever"}""" },
        { "Contact", "*", """{"periodDays":365,"action":"erase","trigger":"account-cancellation"}""" },
        { "Device", "*", """{"periodDays":"x"}""" },
    };

    [Theory]
    [MemberData(nameof(BadSchedules))]
    public async Task Bad_schedule_changes_answer_problem_details_and_change_nothing(string category, string purpose, string body)
    {
        var before = await factory.ScalarAsync<long>("select count(*) from retention_schedules");
        using var officer = factory.ClientFor(SuiteRoles.PrivacyOfficer);

        using var response = await officer.PutAsync($"/v1/schedules/{Uri.EscapeDataString(category)}/{Uri.EscapeDataString(purpose)}",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await factory.ScalarAsync<long>("select count(*) from retention_schedules"));
    }

    [Fact]
    public async Task A_second_sweep_is_refused_while_one_runs()
    {
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        var id = Guid.NewGuid();
        await using (var insert = new NpgsqlCommand(
            "insert into sweeps (id, trigger, requested_by, as_of, started_at, state, subjects_total) values (@id, 'on-demand', 'test', now(), now(), 'running', 0)", connection))
        {
            insert.Parameters.AddWithValue("id", id);
            await insert.ExecuteNonQueryAsync();
        }

        // The row stays locked, so the worker cannot finish the sweep while the second one is asked for.
        await using var tx = await connection.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("select id from sweeps where id = @id for update", connection, tx))
        {
            hold.Parameters.AddWithValue("id", id);
            await hold.ExecuteNonQueryAsync();
        }

        using var client = factory.ClientFor(SuiteRoles.Operator);
        using var response = await client.PostAsJsonAsync("/v1/sweeps", new { dryRun = false });

        Assert.True(response.StatusCode is HttpStatusCode.Conflict, $"{response.StatusCode}");
        Assert.Contains(id.ToString(), await response.Content.ReadAsStringAsync());
        await tx.RollbackAsync();
        await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>("select count(*) from sweeps where state = 'running'") == 0,
            Helpers.Delivery, "the worker finished the running sweep");
    }
}

/// <summary>A sweep stopped mid-way by stopping its host, then resumed by a new host on the same database.</summary>
public sealed class SweepResumeTests
{
    private const int Subjects = 200;
    private const int TokensPerSubject = 3;

    [Fact]
    public async Task Sweep_stopped_mid_way_resumes_without_requesting_anything_twice_or_skipping_anything()
    {
        var slow = new Dictionary<string, string?>
        {
            ["PrivacySuite:Retention:SubjectsPerBatch"] = "10",
            ["PrivacySuite:Retention:PauseBetweenBatches"] = "00:00:00.150",
        };
        var first = new RetentionFactory(slow);
        await first.InitializeAsync();
        first.FarSide.AnswersAsVault = false;
        var tokens = await SeedExpiredAsync(first);

        var sweep = await StartAsync(first);
        await Eventually.HoldsAsync(async () => await first.ScalarAsync<long>($"select subjects_examined from sweeps where id = '{sweep}'") >= 40,
            Helpers.Delivery, "the sweep is under way");
        await first.DisposeAsync(); // stops the host mid-sweep: the open batch rolls back

        var examinedAtStop = await first.ScalarAsync<long>($"select subjects_examined from sweeps where id = '{sweep}'");
        Assert.Equal("running", await first.ScalarAsync<string>($"select state from sweeps where id = '{sweep}'"));
        Assert.InRange(examinedAtStop, 40, Subjects - 1);

        var second = new RetentionFactory(new Dictionary<string, string?> { ["PrivacySuite:Retention:SubjectsPerBatch"] = "10" }, sharedWith: first);
        await second.InitializeAsync();
        second.FarSide.AnswersAsVault = false;
        try
        {
            await Eventually.HoldsAsync(async () => await second.ScalarAsync<string>($"select state from sweeps where id = '{sweep}'") == "completed",
                Helpers.Delivery, "the resumed sweep completed");
            await Eventually.HoldsAsync(async () => await second.ScalarAsync<long>("select count(*) from outbox_messages where sent_at is null") == 0,
                Helpers.Delivery, "every request was published");
            await Eventually.HoldsAsync(() => Task.FromResult(Distinct(first, second).Sum(e => e.Tokens!.Count) >= tokens.Count),
                Helpers.Delivery, "the far side received every request");
            await Task.Delay(500);

            var requested = Distinct(first, second).SelectMany(e => e.Tokens!).ToList();
            Assert.Equal(requested.Count, requested.Distinct().Count()); // nothing twice
            Assert.Equal(tokens.Order(StringComparer.Ordinal), requested.Order(StringComparer.Ordinal)); // nothing skipped
            Assert.Equal((long)tokens.Count, await second.ScalarAsync<long>($"select tokens_requested from sweeps where id = '{sweep}'"));
            Assert.Equal((long)Subjects, await second.ScalarAsync<long>($"select subjects_examined from sweeps where id = '{sweep}'"));
            Assert.Equal(0L, await second.ScalarAsync<long>("select count(*) from inventory_items where state = 'active'"));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    /// <summary>What both far sides received, each subject of each message once (a broker redelivery repeats a message id, not a request).</summary>
    private static List<ErasureRequested> Distinct(RetentionFactory first, RetentionFactory second) =>
        first.FarSide.Erasures.Concat(second.FarSide.Erasures).DistinctBy(r => (r.MessageId, r.Message.SweepItemId, r.Message.SubjectId)).Select(r => r.Message).ToList();

    private static async Task<Guid> StartAsync(RetentionFactory factory)
    {
        using var client = factory.ClientFor(SuiteRoles.Operator);
        using var response = await client.PostAsJsonAsync("/v1/sweeps", new { dryRun = false });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>Location data collected 100 days ago (its schedule keeps it 90), written straight to the inventory with COPY.</summary>
    private static async Task<List<string>> SeedExpiredAsync(RetentionFactory factory)
    {
        var storedAt = factory.Clock.GetUtcNow().AddDays(-100);
        var tokens = new List<string>();
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using (var subjects = await connection.BeginBinaryImportAsync("copy retention_subjects (subject_id, first_seen_at) from stdin (format binary)"))
        {
            for (var s = 0; s < Subjects; s++)
            {
                await subjects.StartRowAsync();
                await subjects.WriteAsync($"resume-{s:D5}", NpgsqlDbType.Text);
                await subjects.WriteAsync(storedAt, NpgsqlDbType.TimestampTz);
            }

            await subjects.CompleteAsync();
        }

        await using (var items = await connection.BeginBinaryImportAsync("copy inventory_items (token, subject_id, category, purpose, stored_at) from stdin (format binary)"))
        {
            for (var s = 0; s < Subjects; s++)
            {
                for (var t = 0; t < TokensPerSubject; t++)
                {
                    var token = $"tok-{s:D5}-{t}";
                    tokens.Add(token);
                    await items.StartRowAsync();
                    await items.WriteAsync(token, NpgsqlDbType.Text);
                    await items.WriteAsync($"resume-{s:D5}", NpgsqlDbType.Text);
                    await items.WriteAsync("Location", NpgsqlDbType.Text);
                    await items.WriteAsync("*", NpgsqlDbType.Text);
                    await items.WriteAsync(storedAt, NpgsqlDbType.TimestampTz);
                }
            }

            await items.CompleteAsync();
        }

        return tokens;
    }
}

/// <summary>A batch with more subjects than one request to the vault takes, split into requests of at most that many.</summary>
public sealed class SweepRequestSizeTests
{
    [Fact]
    public async Task A_batch_is_requested_in_parts_of_at_most_the_configured_subjects_each_token_once()
    {
        var factory = new RetentionFactory(new Dictionary<string, string?> { ["PrivacySuite:Retention:RemovalsPerMessage"] = "3" });
        await factory.InitializeAsync();
        try
        {
            // Ids whose bytewise order differs from the database's collation (case, punctuation), as parts are cut bytewise.
            var subjects = new[] { "Part-b", "part-a", "part_c", "PART.d", "part:e", "Part-F", "part-g", "parT-h", "part.i", "part-J" }
                .Select(s => $"{s}-{Guid.NewGuid():N}"[..20]).ToList();
            var tokens = new List<string>();
            foreach (var subject in subjects)
            {
                tokens.AddRange(await Helpers.StoreAsync(factory, subject, DataCategory.Location, 2, factory.Clock.GetUtcNow().AddDays(-100)));
            }

            var sweep = await Helpers.SweepAsync(factory);

            var sweepId = sweep.GetProperty("id").GetGuid();
            var largest = await factory.ScalarAsync<long>(
                $"select max((select count(distinct s) from unnest(token_subjects) s)) from sweep_items where sweep_id = '{sweepId}'");
            Assert.Equal(3L, largest);
            Assert.Equal(4L, await factory.ScalarAsync<long>($"select count(*) from sweep_items where sweep_id = '{sweepId}'"));
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Erasures.Count >= subjects.Count), Helpers.Delivery, "the far side received every request");
            var requested = factory.FarSide.Erasures.Select(e => e.Message).ToList();
            Assert.Equal(subjects.Order(StringComparer.Ordinal), requested.Select(r => r.SubjectId).Order(StringComparer.Ordinal));
            Assert.Equal(tokens.Order(StringComparer.Ordinal), requested.SelectMany(r => r.Tokens!).Order(StringComparer.Ordinal));
            Assert.All(requested, r => Assert.Equal(2, r.Tokens!.Count));
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }
}
