using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace PrivacySuite.Retention.Tests;

/// <summary>A clock the tests move: a month passes in a line instead of a month.</summary>
public sealed class MovableClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>
/// The retention service on its own database and virtual host, with a movable clock, scheduled sweeps off (tests start
/// them), and a <see cref="FarSide"/> on the same virtual host standing in for the vault and the notification service.
/// </summary>
public class RetentionFactory : ServiceFactory<Program>
{
    private readonly RetentionFactory? _sharedWith;
    private readonly MovableClock _clock = new(DateTimeOffset.UtcNow);

    public RetentionFactory()
        : this(null, null)
    {
    }

    /// <param name="settings">Configuration for this host.</param>
    /// <param name="sharedWith">Another factory whose database, virtual host and clock this host uses (a restart of the service).</param>
    internal RetentionFactory(IReadOnlyDictionary<string, string?>? settings, RetentionFactory? sharedWith = null)
        : base("retentiondb")
    {
        _sharedWith = sharedWith;
        Settings["PrivacySuite:Retention:ScheduledSweeps"] = "false";
        Settings["PrivacySuite:Retention:PollInterval"] = "00:00:00.100";
        Settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.200";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            Settings[key] = value;
        }
    }

    public MovableClock Clock => _sharedWith?.Clock ?? _clock;

    public FarSide FarSide { get; private set; } = null!;

    public string RabbitMqConnectionString => _sharedWith?.RabbitMqConnectionString ?? BrokerConnectionString;

    public string RetentionDbConnectionString => _sharedWith?.RetentionDbConnectionString ?? DatabaseConnectionString;

    public override async Task InitializeAsync()
    {
        SharedBroker = _sharedWith?.RabbitMqConnectionString;
        await base.InitializeAsync();
        FarSide = await FarSide.StartAsync(RabbitMqConnectionString);
    }

    public override async ValueTask DisposeAsync()
    {
        if (FarSide is not null)
        {
            await FarSide.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A person with <paramref name="role"/>, with a token that outlives the months the tests move the clock.</summary>
    public HttpClient ClientFor(string role, string name = "test-person")
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Credentials.IssueToken(name, [role], TimeSpan.FromDays(3650)));
        return client;
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(RetentionDbConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (_sharedWith is not null)
        {
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:retentiondb"] = _sharedWith.DatabaseConnectionString,
            }));
        }

        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
