using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

/// <summary>
/// The retention service as the AppHost runs it, a process of its own, killed with SIGKILL in the middle of a sweep:
/// no shutdown, no rollback by the service, a connection cut mid-transaction. Started again, it finishes the sweep.
/// </summary>
public sealed class HardKillTests : IAsyncLifetime
{
    private const int Subjects = 300;
    private const int TokensPerCategory = 1;
    private readonly DevCredentials _credentials = DevCredentials.Generate();
    private readonly ConcurrentQueue<string> _output = new();
    private string _database = "";
    private string _rabbitMq = "";
    private string _retentionBrokerUser = "";
    private FarSide _farSide = null!;

    public async Task InitializeAsync()
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        _database = await infrastructure.CreateDatabaseAsync("retentiondb");
        _rabbitMq = await infrastructure.CreateVirtualHostAsync("retention");
        _retentionBrokerUser = await infrastructure.CreateServiceUserAsync(_rabbitMq, "retention");
        _farSide = await FarSide.StartAsync(_rabbitMq);
        _farSide.AnswersAsVault = false;
    }

    public async Task DisposeAsync() => await _farSide.DisposeAsync();

    [Fact]
    public async Task A_sweep_killed_with_SIGKILL_resumes_in_a_new_process_and_requests_every_token_exactly_once()
    {
        await using (var first = await StartAsync())
        {
            var expired = await ExpiredInventory.SeedAsync(_database, "kill", Subjects, TokensPerCategory, DateTimeOffset.UtcNow);
            var sweep = await StartSweepAsync(first.Client);
            await Eventually.HoldsAsync(async () => await ScalarAsync<long>($"select subjects_examined from sweeps where id = '{sweep}'") >= 60,
                Helpers.Delivery, "the sweep is under way");

            first.Process.Signal(ChildProcess.SigKill);
            Assert.Equal(137, await first.Process.Exited.WaitAsync(TimeSpan.FromSeconds(10)));

            var examinedAtKill = await ScalarAsync<long>($"select subjects_examined from sweeps where id = '{sweep}'");
            Assert.Equal("running", await ScalarAsync<string>($"select state from sweeps where id = '{sweep}'"));
            Assert.InRange(examinedAtKill, 60, Subjects - 1);

            await using var second = await StartAsync();
            await Eventually.HoldsAsync(async () => await ScalarAsync<string>($"select state from sweeps where id = '{sweep}'") == "completed",
                Helpers.Delivery, "the resumed sweep completed");
            await Eventually.HoldsAsync(async () => await ScalarAsync<long>("select count(*) from outbox_messages where sent_at is null") == 0,
                Helpers.Delivery, "every request was published");
            await Eventually.HoldsAsync(() => Task.FromResult(expired.AllReceived(_farSide)), Helpers.Delivery, "the far side received every request");
            await Task.Delay(500);

            // A request the killed process committed but had not published yet goes out after the restart with its own
            // message id; a broker redelivery repeats that id (and each subject its sweep item). Neither is a second request.
            expired.AssertRequestedOnce(_farSide);
            Assert.Equal((long)Subjects, await ScalarAsync<long>($"select subjects_examined from sweeps where id = '{sweep}'"));
            Assert.Equal((long)expired.TokenCount, await ScalarAsync<long>($"select tokens_requested from sweeps where id = '{sweep}'"));
            // Every subject is in the sweep's requests once by each kind: named with the location schedule, and with its device tokens.
            Assert.Equal((long)Subjects, await ScalarAsync<long>(
                $"select count(distinct s) from sweep_items i, unnest(i.subject_ids) s where i.sweep_id = '{sweep}' and i.stored_before is not null"));
            Assert.Equal((long)expired.DeviceTokens.Count, await ScalarAsync<long>($"select count(*) from sweep_items i, unnest(i.token_subjects) s where i.sweep_id = '{sweep}'"));
            Assert.Equal(0L, await ScalarAsync<long>("select count(*) from inventory_items where state = 'active'"));
        }
    }

    private sealed class Running(ChildProcess process, HttpClient client) : IAsyncDisposable
    {
        public ChildProcess Process { get; } = process;

        public HttpClient Client { get; } = client;

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Process.DisposeAsync();
        }
    }

    /// <summary>Starts PrivacySuite.Retention.dll with the environment the AppHost gives it, and waits until it is healthy.</summary>
    private async Task<Running> StartAsync()
    {
        var port = Ports.GetFree();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__retentiondb"] = _database,
            ["ConnectionStrings__rabbitmq"] = _retentionBrokerUser,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["PrivacySuite__Region"] = "beijing",
            ["PrivacySuite__Retention__ScheduledSweeps"] = "false",
            ["PrivacySuite__Retention__SubjectsPerBatch"] = "10",
            ["PrivacySuite__Retention__PauseBetweenBatches"] = "00:00:00.100",
            ["PrivacySuite__Retention__PollInterval"] = "00:00:00.200",
            ["PrivacySuite__Outbox__PollInterval"] = "00:00:00.200",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["HOME"] = Path.GetTempPath(),
        };
        foreach (var (key, value) in _credentials.ToEnvironment())
        {
            environment[key] = value;
        }

        var dll = typeof(Program).Assembly.Location;
        var process = ChildProcess.Start("dotnet", [dll], environment, _output.Enqueue, Path.GetDirectoryName(dll));
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _credentials.IssueToken("operator-1", [SuiteRoles.Operator]));
        var running = new Running(process, client);
        try
        {
            await Eventually.HoldsAsync(async () =>
            {
                Assert.False(process.HasExited, "the retention process exited: " + string.Join('\n', _output.TakeLast(20)));
                try
                {
                    using var health = await client.GetAsync("/health");
                    return health.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60), "the retention process is healthy");
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    private static async Task<Guid> StartSweepAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/v1/sweeps", new { dryRun = false });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
