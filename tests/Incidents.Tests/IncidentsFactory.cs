using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Tests;

public class IncidentsFactory() : ServiceFactory<Program>("incidentsdb")
{
    public TestClock Clock { get; } = new();

    public VaultStandIn Vault { get; private set; } = null!;

    public BusObserver Observer { get; private set; } = null!;

    /// <summary>A subclass sets the operator type, thresholds or page size here.</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    public override async Task InitializeAsync()
    {
        Settings["services:vault:http:0"] = await StartVaultAsync();
        Settings["PrivacySuite:Incidents:WorkerInterval"] = "00:00:00.200";
        Settings["PrivacySuite:Incidents:VaultPageSize"] = "1000";
        Settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.200";
        Configure(Settings);
        await base.InitializeAsync();
        Observer = await BusObserver.StartAsync(BrokerConnectionString, $"incidents-tests-observer-{GetType().Name.ToLowerInvariant()}");
    }

    /// <summary>Starts what answers as the vault and returns its address: the stand-in here; the real vault in <see cref="SuiteFactory"/>.</summary>
    protected virtual async Task<string> StartVaultAsync()
    {
        Vault = new VaultStandIn(Credentials, Clock);
        await Vault.StartAsync();
        return Vault.Address;
    }

    /// <summary>A person on call, with a token that outlives the moved clock (30 days and more).</summary>
    public HttpClient CreateOnCall(string person = "lead-wang") => CreateFor(SuiteRoles.OnCall, person);

    public HttpClient CreateFor(string role, string person)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Credentials.IssueToken(person, [role], TimeSpan.FromDays(90)));
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    public override async ValueTask DisposeAsync()
    {
        if (Observer is not null)
        {
            await Observer.DisposeAsync();
        }

        await base.DisposeAsync();
        if (Vault is not null)
        {
            await Vault.DisposeAsync();
        }
    }
}
