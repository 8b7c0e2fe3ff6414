using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace PrivacySuite.Consent.Tests;

/// <summary>
/// Erasure reaches the consent service (issue 18): no birth date is left, the check answers subject-erased (a 200 with a
/// reason of its own, not unknown-subject and not an error), and every replica's cache hears it.
/// </summary>
public sealed class ErasureTests(ConsentFactory factory, ITestOutputHelper output) : IClassFixture<ConsentFactory>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static Task WaitForCacheAsync(IServiceProvider services) =>
        Eventually.HoldsAsync(() => Task.FromResult(services.GetRequiredService<DecisionCache>().Enabled), TimeSpan.FromSeconds(15),
            "the replica's invalidation queue is connected");

    private async Task<(string? Status, DateOnly? BirthDate, string? AgeBand)> SubjectRowAsync(string subjectId)
    {
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select status, birth_date, age_band from subjects where subject_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = subjectId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateOnly>(1), reader.IsDBNull(2) ? null : reader.GetString(2));
    }

    /// <summary>Time from <paramref name="since"/> until <paramref name="client"/>'s check answers subject-erased.</summary>
    private static async Task<TimeSpan> UntilErasedAsync(HttpClient client, string subjectId, string purpose, Stopwatch since)
    {
        while (since.Elapsed < Bound)
        {
            var check = await client.CheckAsync(subjectId, purpose);
            if (check.Reason == DecisionReasons.SubjectErased)
            {
                Assert.False(check.Allowed);
                return since.Elapsed;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"The check did not answer subject-erased within {Bound.TotalSeconds} s");
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public async Task An_erased_subject_has_no_birth_date_left_and_every_replica_answers_subject_erased()
    {
        await using var second = new ReplicaOf(factory);
        using var a = factory.CreateProductBackendClient();
        using var b = second.CreateProductBackendClient();
        await WaitForCacheAsync(factory.Services);
        await WaitForCacheAsync(second.Services);
        var subject = await a.RegisterAsync(birthDate: Api.Adult);
        await a.GrantOkAsync(subject, "personalisation");
        Assert.True((await a.CheckAsync(subject, "personalisation")).Allowed);
        Assert.True((await b.CheckAsync(subject, "personalisation")).Allowed); // both replicas now hold it in memory

        var since = Stopwatch.StartNew();
        await (await factory.TestBusAsync()).Publish(new SubjectErased(subject, Guid.NewGuid(), DateTimeOffset.UtcNow));
        var first = await UntilErasedAsync(a, subject, "personalisation", since);
        var other = await UntilErasedAsync(b, subject, "personalisation", since);
        output.WriteLine($"Erasure reached the consent check: replica A after {first.TotalMilliseconds:0} ms, replica B after {other.TotalMilliseconds:0} ms");

        var (status, birthDate, ageBand) = await SubjectRowAsync(subject);
        Assert.Equal(SubjectStatus.Erased, status);
        Assert.Null(birthDate);
        Assert.Null(ageBand);
        using var grant = await a.GrantAsync(subject, "personalisation");
        Assert.Contains("erased", (await grant.ProblemAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString());
        using var again = await a.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = "infobird", birthDate = Api.Adult });
        await again.ProblemAsync(HttpStatusCode.Conflict); // the id stays taken: a new person gets a new id
        using var cancel = await a.PostAsync($"/v1/subjects/{subject}/cancellation", null);
        await cancel.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(DecisionReasons.UnknownSubject, (await a.CheckAsync(Api.NewSubjectId(), "personalisation")).Reason);
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public async Task A_sweeps_whole_subject_erasures_reach_the_consent_service_and_a_category_erasure_does_not()
    {
        using var client = factory.CreateProductBackendClient();
        var erased = await client.RegisterAsync(ageBand: AgeBands.Adult);
        var kept = await client.RegisterAsync(birthDate: Api.Adult);
        var partly = await client.RegisterAsync(birthDate: Api.Adult);
        var bus = await factory.TestBusAsync();

        await bus.Publish(new RemovalsAnswered(Guid.NewGuid(), "erase", null, [kept], [new SubjectCertificate(erased, Guid.NewGuid())],
            DateTimeOffset.UtcNow, []));
        await bus.Publish(new SubjectErased(partly, Guid.NewGuid(), DateTimeOffset.UtcNow, DataCategory.Location));
        await Eventually.HoldsAsync(async () => (await SubjectRowAsync(erased)).Status == SubjectStatus.Erased, Bound, "the sweep's erasure reached consent");
        await Eventually.HoldsAsync(async () => (await client.CheckAsync(erased, "surveys")).Reason == DecisionReasons.SubjectErased, Bound,
            "the check answers subject-erased");

        Assert.Null((await SubjectRowAsync(erased)).AgeBand);
        Assert.Equal((SubjectStatus.Active, Api.Adult, (string?)null), await SubjectRowAsync(kept));
        Assert.Equal(SubjectStatus.Active, (await SubjectRowAsync(partly)).Status);
    }

    [Fact]
    public async Task A_check_answer_says_what_it_is_as_of()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "surveys");
        var granted = await client.GetFromJsonAsync<JsonElement>($"/v1/consents/check?subjectId={subject}&purpose=surveys");
        using (await client.DeleteAsync($"/v1/subjects/{subject}/consents/surveys"))
        {
        }

        var withdrawn = await client.GetFromJsonAsync<JsonElement>($"/v1/consents/check?subjectId={subject}&purpose=surveys");
        var unknown = await client.GetFromJsonAsync<JsonElement>($"/v1/consents/check?subjectId={Api.NewSubjectId()}&purpose=surveys");

        Assert.True(withdrawn.GetProperty("subjectChangedAt").GetDateTimeOffset() > granted.GetProperty("subjectChangedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, unknown.GetProperty("subjectChangedAt").ValueKind);
        Assert.True(granted.GetProperty("policyEpoch").GetInt64() >= 2); // the two seeded policies' first versions
    }
}
