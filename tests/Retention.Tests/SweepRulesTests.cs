using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrivacySuite.Contracts;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.Tests;

/// <summary>
/// The sweep's decision rules, which run as SQL in the database: each test writes a few subjects of its own (under a
/// prefix no other test uses) and asks what a sweep as of <see cref="Now"/> would request for them. The schedules are
/// the defaults of the migration: Location erased 90 days after collection, Device anonymised a year after last use,
/// Delivery erased 30 days after its purpose is fulfilled.
/// </summary>
public sealed class SweepRulesTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Expired_collection_schedule_erases_only_the_expired_tokens()
    {
        var p = Prefix();
        await SubjectAsync(p);
        await ItemAsync(p, "old", DataCategory.Location, Now.AddDays(-91));
        await ItemAsync(p, "new", DataCategory.Location, Now.AddDays(-89));

        var (requests, held) = await PreviewAsync(p);

        var request = Assert.Single(requests);
        Assert.Equal((DataCategory.Location, "erase", "schedule:Location/*/v1", 1), (request.Category!.Value, request.Action, request.Reason, request.Tokens));
        Assert.Equal(0, held);
    }

    [Fact]
    public async Task Last_use_restarts_the_clock_and_purpose_fulfilment_starts_one()
    {
        var p = Prefix();
        await SubjectAsync(p);
        await ItemAsync(p, "used", DataCategory.Device, Now.AddDays(-400), lastUsed: Now.AddDays(-5));
        await ItemAsync(p, "idle", DataCategory.Device, Now.AddDays(-400));
        await ItemAsync(p, "parcel", DataCategory.Delivery, Now.AddDays(-100), purpose: "delivery.perform");

        var (unfulfilled, _) = await PreviewAsync(p);
        await ExecuteAsync($"insert into purpose_fulfilments (subject_id, purpose, fulfilled_at) values ('{p}s', 'delivery.perform', '{Now.AddDays(-31):O}')");
        var (fulfilled, _) = await PreviewAsync(p);

        var idle = Assert.Single(unfulfilled);
        Assert.Equal((DataCategory.Device, "anonymise", 1), (idle.Category!.Value, idle.Action, idle.Tokens));
        Assert.Equal(1, fulfilled.Single(r => r.Category == DataCategory.Delivery).Tokens);
    }

    [Fact]
    [Trait("Clause", "IWK-2.5")]
    public async Task Cancellation_removes_the_whole_subject_after_one_calendar_month()
    {
        var early = Prefix();
        await SubjectAsync(early, cancelledAt: Now.AddMonths(-1).AddMinutes(1));
        await ItemAsync(early, "a", DataCategory.Usage, Now.AddDays(-1)); // no schedule of its own is due yet
        var due = Prefix();
        await SubjectAsync(due, cancelledAt: Now.AddMonths(-1));
        await ItemAsync(due, "a", DataCategory.Identity, Now.AddDays(-400));
        await ItemAsync(due, "b", DataCategory.Location, Now.AddDays(-1));

        Assert.Empty((await PreviewAsync(early)).Requests);
        var request = Assert.Single((await PreviewAsync(due)).Requests);
        Assert.Equal(((DataCategory?)null, "erase", "account-cancellation", 2), (request.Category, request.Action, request.Reason, request.Tokens));
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_subject_hold_blocks_every_reason_for_removal()
    {
        var p = Prefix();
        await SubjectAsync(p, cancelledAt: Now.AddYears(-1), minor: true);
        await ItemAsync(p, "a", DataCategory.Location, Now.AddDays(-400));
        await HoldAsync($"'{p}s'", "null");

        var (requests, held) = await PreviewAsync(p);

        Assert.Empty(requests);
        Assert.Equal(1, held);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_category_hold_for_everyone_turns_a_whole_subject_removal_into_removal_of_the_rest()
    {
        var p = Prefix();
        await SubjectAsync(p, minor: true);
        await ItemAsync(p, "loc", DataCategory.Location, Now.AddDays(-1));
        await ItemAsync(p, "use", DataCategory.Usage, Now.AddDays(-1));
        var hold = await HoldAsync("null", "'Usage'");
        try
        {
            var (requests, held) = await PreviewAsync(p);

            var request = Assert.Single(requests);
            Assert.Equal((DataCategory.Location, "erase", "minor-without-guardian-consent", 1), (request.Category!.Value, request.Action, request.Reason, request.Tokens));
            Assert.Equal(1, held);
        }
        finally
        {
            await ExecuteAsync($"update legal_holds set released_at = now(), released_by = 'test' where id = '{hold}'");
        }
    }

    [Fact]
    [Trait("Clause", "IWK-3.3")]
    public async Task A_minor_retention_holds_no_data_of_is_still_sent_to_the_vault_as_a_whole()
    {
        var p = Prefix();
        await SubjectAsync(p, minor: true);

        var request = Assert.Single((await PreviewAsync(p)).Requests);

        Assert.Equal(((DataCategory?)null, "erase", "minor-without-guardian-consent", 0), (request.Category, request.Action, request.Reason, request.Tokens));
    }

    [Fact]
    public async Task A_subject_already_with_the_vault_is_not_asked_for_again()
    {
        var p = Prefix();
        await SubjectAsync(p, minor: true);
        await ItemAsync(p, "a", DataCategory.Location, Now.AddDays(-400));
        await ExecuteAsync($"update retention_subjects set erasure_item_id = '{Guid.NewGuid()}' where subject_id = '{p}s'");

        var (requests, held) = await PreviewAsync(p);

        Assert.Empty(requests);
        Assert.Equal(0, held);
    }

    private static string Prefix() => $"rules-{Guid.NewGuid():N}-";

    /// <summary>What a sweep would request for the subjects under <paramref name="prefix"/>, and how many of them a hold kept something of.</summary>
    private async Task<(List<DryRunItem> Requests, int Held)> PreviewAsync(string prefix)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var runner = scope.ServiceProvider.GetRequiredService<SweepRunner>();
        var items = await runner.PreviewAsync(prefix, prefix + "~", Now, CancellationToken.None);
        return (items.Where(i => i.Action != "held").ToList(), items.Single(i => i.Action == "held").Tokens);
    }

    private Task SubjectAsync(string prefix, DateTimeOffset? cancelledAt = null, bool minor = false) =>
        ExecuteAsync(
            $"""
            insert into retention_subjects (subject_id, first_seen_at, cancelled_at, minor_detected_at)
            values ('{prefix}s', '{Now.AddYears(-2):O}', {(cancelledAt is { } c ? $"'{c:O}'" : "null")}, {(minor ? $"'{Now.AddDays(-1):O}'" : "null")})
            """);

    private Task ItemAsync(string prefix, string token, DataCategory category, DateTimeOffset storedAt, DateTimeOffset? lastUsed = null, string purpose = "*") =>
        ExecuteAsync(
            $"""
            insert into inventory_items (token, subject_id, category, purpose, stored_at, last_used_at)
            values ('{prefix}{token}', '{prefix}s', '{category}', '{purpose}', '{storedAt:O}', {(lastUsed is { } u ? $"'{u:O}'" : "null")})
            """);

    private async Task<Guid> HoldAsync(string subjectSql, string categorySql)
    {
        var id = Guid.NewGuid();
        await ExecuteAsync(
            $"""
            insert into legal_holds (id, subject_id, category, reason_code, placed_by, reference, review_at, placed_at)
            values ('{id}', {subjectSql}, {categorySql}, 'law', 'test', 'rules', '{Now.AddDays(90):O}', '{Now:O}')
            """);
        return id;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
