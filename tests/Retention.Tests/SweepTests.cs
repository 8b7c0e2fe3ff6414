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
    public async Task A_removal_of_tokens_the_vault_refuses_puts_them_back_as_they_were_and_the_next_sweep_asks_again()
    {
        // Device data is kept a year after its last use: the vault is told the tokens, and retention keeps what each said.
        var subject = Helpers.NewSubject("refused");
        var storedAt = factory.Clock.GetUtcNow().AddDays(-500);
        var usedAt = factory.Clock.GetUtcNow().AddDays(-400);
        var tokens = await Helpers.StoreAsync(factory, subject, DataCategory.Device, 2, storedAt);
        await factory.FarSide.PublishAsync(new SubjectDataUsed(subject, tokens[0], usedAt));
        await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>($"select count(*) from inventory_items where token = '{tokens[0]}' and last_used_at is not null") == 1,
            Helpers.Delivery, "retention recorded the use");
        var before = await InventoryAsync(subject);
        factory.FarSide.AnswersAsVault = false;
        try
        {
            await Helpers.SweepAsync(factory);
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Anonymisations.Any(a => a.Message.SubjectId == subject)), Helpers.Delivery, "the anonymisation was requested");
            Assert.Equal(0, (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32());

            // The vault knows a hold retention has not heard of yet; the other subjects of the request, if any, it removed.
            var request = Assert.Single(factory.FarSide.Anonymisations, a => a.Message.SubjectId == subject).Message;
            await factory.FarSide.PublishAsync(new RemovalsAnswered(request.SweepItemId, "anonymise", DataCategory.Device, [subject], [], DateTimeOffset.UtcNow,
                [Region.Beijing, Region.Guangzhou]));

            await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>(
                    $"select count(*) from sweep_items where id = '{request.SweepItemId}' and state <> 'requested' and refused_subjects = array['{subject}']") == 1,
                Helpers.Delivery, "the refusal closed the sweep item");
            Assert.Equal(before, await InventoryAsync(subject));

            await Helpers.SweepAsync(factory);
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Anonymisations.Count(a => a.Message.SubjectId == subject) == 2), Helpers.Delivery, "the next sweep asked again");
            Assert.Equal(tokens.Order(StringComparer.Ordinal), factory.FarSide.Anonymisations.Last(a => a.Message.SubjectId == subject).Message.Tokens.Order(StringComparer.Ordinal));
        }
        finally
        {
            factory.FarSide.AnswersAsVault = true;
        }
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_removal_by_schedule_the_vault_refuses_returns_with_the_vaults_announcement_and_the_next_sweep_asks_again()
    {
        // Location data is kept 90 days from collection: the vault is told the rule and the subject, not the tokens.
        var subject = Helpers.NewSubject("refused-range");
        var storedAt = factory.Clock.GetUtcNow().AddDays(-100);
        var tokens = await Helpers.StoreAsync(factory, subject, DataCategory.Location, 2, storedAt);
        var before = await InventoryAsync(subject);
        factory.FarSide.AnswersAsVault = false;
        try
        {
            await Helpers.SweepAsync(factory);
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ExpiredRemovals.Any(r => r.Message.SubjectIds.Contains(subject))), Helpers.Delivery, "the removal was requested");
            var request = factory.FarSide.ExpiredRemovals.Single(r => r.Message.SubjectIds.Contains(subject)).Message;
            Assert.Equal(("erase", DataCategory.Location, "schedule:Location/*/v1"), (request.Action, request.Category, request.Reason));
            Assert.True(request.StoredBefore > storedAt && request.StoredBefore <= factory.Clock.GetUtcNow().AddDays(-90));
            Assert.Equal(0, (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32());

            // As the vault does when a hold it knows of refuses a subject: the answer, and the values announced again.
            foreach (var token in tokens)
            {
                await factory.FarSide.PublishAsync(new SubjectDataStored(subject, DataCategory.Location, token, storedAt));
            }

            await factory.FarSide.PublishAsync(new RemovalsAnswered(request.RequestId, "erase", DataCategory.Location, [subject], [], DateTimeOffset.UtcNow,
                [Region.Beijing, Region.Guangzhou]));

            await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>(
                    $"select count(*) from sweep_items where id = '{request.RequestId}' and state <> 'requested' and '{subject}' = any (refused_subjects)") == 1,
                Helpers.Delivery, "the refusal closed the sweep item");
            await Eventually.HoldsAsync(async () => (await InventoryAsync(subject)).SequenceEqual(before), Helpers.Delivery, "the announced values are back in the inventory");

            await Helpers.SweepAsync(factory);
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ExpiredRemovals.Count(r => r.Message.SubjectIds.Contains(subject)) == 2), Helpers.Delivery, "the next sweep asked again");
        }
        finally
        {
            factory.FarSide.AnswersAsVault = true;
        }
    }

    /// <summary>What the inventory says of a subject's tokens, in token order.</summary>
    private async Task<List<string>> InventoryAsync(string subject)
    {
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select concat_ws('|', token, category, purpose, stored_at, last_used_at, state) from inventory_items where subject_id = @s order by token", connection);
        command.Parameters.AddWithValue("s", subject);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
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
    private const int TokensPerCategory = 2;

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
        var expired = await ExpiredInventory.SeedAsync(first.DatabaseConnectionString, "resume", Subjects, TokensPerCategory, first.Clock.GetUtcNow());

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
            await Eventually.HoldsAsync(() => Task.FromResult(expired.AllReceived(first.FarSide, second.FarSide)), Helpers.Delivery, "the far side received every request");
            await Task.Delay(500);

            expired.AssertRequestedOnce(first.FarSide, second.FarSide); // nothing twice, nothing skipped
            Assert.Equal((long)expired.TokenCount, await second.ScalarAsync<long>($"select tokens_requested from sweeps where id = '{sweep}'"));
            Assert.Equal((long)Subjects, await second.ScalarAsync<long>($"select subjects_examined from sweeps where id = '{sweep}'"));
            Assert.Equal(0L, await second.ScalarAsync<long>("select count(*) from inventory_items where state = 'active'"));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    private static async Task<Guid> StartAsync(RetentionFactory factory)
    {
        using var client = factory.ClientFor(SuiteRoles.Operator);
        using var response = await client.PostAsJsonAsync("/v1/sweeps", new { dryRun = false });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}

/// <summary>A batch with more subjects than one request to the vault takes, split into requests of at most that many.</summary>
public sealed class SweepRequestSizeTests
{
    [Theory]
    [InlineData(DataCategory.Location, 100)] // by schedule: the request names the rule and its subjects
    [InlineData(DataCategory.Device, 400)] // by tokens
    public async Task A_batch_is_requested_in_parts_of_at_most_the_configured_subjects_each_token_once(DataCategory category, int daysOld)
    {
        var factory = new RetentionFactory(new Dictionary<string, string?> { ["PrivacySuite:Retention:RemovalsPerMessage"] = "3" });
        await factory.InitializeAsync();
        try
        {
            // Ids whose bytewise order differs from the database's collation (case, punctuation): requests by tokens are cut bytewise.
            var subjects = new[] { "Part-b", "part-a", "part_c", "PART.d", "part:e", "Part-F", "part-g", "parT-h", "part.i", "part-J" }
                .Select(s => $"{s}-{Guid.NewGuid():N}"[..20]).ToList();
            var tokens = new List<string>();
            foreach (var subject in subjects)
            {
                tokens.AddRange(await Helpers.StoreAsync(factory, subject, category, 2, factory.Clock.GetUtcNow().AddDays(-daysOld)));
            }

            var sweep = await Helpers.SweepAsync(factory);

            var sweepId = sweep.GetProperty("id").GetGuid();
            var largest = await factory.ScalarAsync<long>(
                $"select max(greatest(cardinality(subject_ids), (select count(distinct s) from unnest(token_subjects) s))) from sweep_items where sweep_id = '{sweepId}'");
            Assert.Equal(3L, largest);
            Assert.Equal(4L, await factory.ScalarAsync<long>($"select count(*) from sweep_items where sweep_id = '{sweepId}'"));
            var received = category == DataCategory.Location ? factory.FarSide.Erasures.Select(e => (e.Message.SubjectId, e.Message.Tokens!)) : factory.FarSide.Anonymisations.Select(a => (a.Message.SubjectId, a.Message.Tokens));
            await Eventually.HoldsAsync(() => Task.FromResult(received.Count() >= subjects.Count), Helpers.Delivery, "the far side received every request");
            var requested = received.ToList();
            Assert.Equal(subjects.Order(StringComparer.Ordinal), requested.Select(r => r.SubjectId).Order(StringComparer.Ordinal));
            Assert.Equal(tokens.Order(StringComparer.Ordinal), requested.SelectMany(r => r.Item2).Order(StringComparer.Ordinal));
            Assert.All(requested, r => Assert.Equal(2, r.Item2.Count));
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }
}
