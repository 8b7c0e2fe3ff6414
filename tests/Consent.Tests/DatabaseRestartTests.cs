using System.Net;
using Npgsql;

namespace PrivacySuite.Consent.Tests;

/// <summary>
/// The check is every product backend's hot path: when the database drops its connections (a restart, a failover),
/// the pooled ones fail on their next use, and the check must still answer.
/// </summary>
public sealed class DatabaseRestartTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    [Fact]
    public async Task Checks_right_after_the_database_dropped_every_connection_are_answered()
    {
        using var client = factory.CreateProductBackendClient();
        // Unknown subjects are never cached, so each check reads the database; ten at once fill the pool.
        async Task<string[]> CheckManyAsync() => await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await client.GetAsync($"/v1/consents/check?subjectId={Api.NewSubjectId()}&purpose=personalisation");
            return response.StatusCode == HttpStatusCode.OK ? "200" : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }));
        Assert.All(await CheckManyAsync(), answer => Assert.True(answer == "200", answer));

        // What a restart does to the service's connections: the server ends them ("terminating connection due to administrator command").
        await using (var admin = new NpgsqlConnection(factory.DatabaseConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()", admin);
            Assert.True((long)(await terminate.ExecuteScalarAsync())! > 0, "no connection of the service was open");
        }

        Assert.All(await CheckManyAsync(), answer => Assert.True(answer == "200", answer)); // the whole answer, when it is not
    }
}
