using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace PrivacySuite.Consent.Tests;

/// <summary>
/// Two replicas of the service on one database and one broker, each with its decision cache: a withdrawal made on
/// one must be honoured by both within a second of being acknowledged.
/// </summary>
public sealed class ReplicaTests(ConsentFactory factory, ITestOutputHelper output) : IClassFixture<ConsentFactory>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    private static async Task WaitForCacheAsync(IServiceProvider services) =>
        await Eventually.HoldsAsync(() => Task.FromResult(services.GetRequiredService<DecisionCache>().Enabled), TimeSpan.FromSeconds(15),
            "the replica's invalidation queue is connected");

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task A_withdrawal_is_honoured_by_every_replica_within_one_second()
    {
        await using var second = new ReplicaOf(factory);
        using var a = factory.CreateProductBackendClient();
        using var b = second.CreateProductBackendClient();
        await WaitForCacheAsync(factory.Services);
        await WaitForCacheAsync(second.Services);

        var worst = TimeSpan.Zero;
        for (var round = 0; round < 10; round++)
        {
            // Alternate the replica that takes the withdrawal, so each has to hear the other.
            var (writer, other) = round % 2 == 0 ? (a, b) : (b, a);
            var subject = await a.RegisterAsync();
            await a.GrantOkAsync(subject, "personalisation");
            for (var warm = 0; warm < 3; warm++)
            {
                Assert.True((await a.CheckAsync(subject, "personalisation")).Allowed);
                Assert.True((await b.CheckAsync(subject, "personalisation")).Allowed);
            }

            using var withdrawn = await writer.DeleteAsync($"/v1/subjects/{subject}/consents/personalisation");
            Assert.Equal(System.Net.HttpStatusCode.OK, withdrawn.StatusCode);
            var acknowledged = Stopwatch.StartNew();
            var writerDenied = !(await writer.CheckAsync(subject, "personalisation")).Allowed;
            TimeSpan? otherDeniedAfter = null;
            while (acknowledged.Elapsed < TimeSpan.FromSeconds(5))
            {
                if (!(await other.CheckAsync(subject, "personalisation")).Allowed)
                {
                    otherDeniedAfter = acknowledged.Elapsed;
                    break;
                }

                await Task.Delay(5);
            }

            Assert.True(writerDenied, "the replica that took the withdrawal denies at once");
            Assert.NotNull(otherDeniedAfter);
            worst = otherDeniedAfter.Value > worst ? otherDeniedAfter.Value : worst;
        }

        output.WriteLine($"Slowest replica to honour a withdrawal: {worst.TotalMilliseconds:0.0} ms (bound {Bound.TotalMilliseconds} ms)");
        Assert.True(worst < Bound, $"a replica honoured a withdrawal only after {worst.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Replicas_answer_repeated_checks_from_memory_so_only_events_keep_them_fresh()
    {
        await using var second = new ReplicaOf(factory);
        using var a = factory.CreateProductBackendClient();
        using var b = second.CreateProductBackendClient();
        await WaitForCacheAsync(second.Services);
        var subject = await a.RegisterAsync();
        await a.GrantOkAsync(subject, "surveys");
        Assert.True((await b.CheckAsync(subject, "surveys")).Allowed);

        // A change behind the service's back, without an event: the cached answer stands...
        await using (var connection = new NpgsqlConnection(factory.DatabaseConnectionString))
        {
            await connection.OpenAsync();
            await using var sneak = new NpgsqlCommand("update consents set state = 'withdrawn' where subject_id = @s", connection);
            sneak.Parameters.AddWithValue("s", subject);
            await sneak.ExecuteNonQueryAsync();
        }

        var cached = await b.CheckAsync(subject, "surveys");

        // ...until the service's own event arrives on the replica's queue.
        using var withdrawn = await a.DeleteAsync($"/v1/subjects/{subject}/consents/surveys");
        await a.GrantOkAsync(subject, "surveys");
        using var again = await a.DeleteAsync($"/v1/subjects/{subject}/consents/surveys");
        await Eventually.HoldsAsync(async () => !(await b.CheckAsync(subject, "surveys")).Allowed, Bound, "replica B denies after the event");

        Assert.True(cached.Allowed);
    }
}
