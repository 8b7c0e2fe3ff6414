using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Cli;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Tests;

/// <summary>The incidents service on a real port (Kestrel), so the CLI reaches it over TCP as it would a region.</summary>
public sealed class KestrelIncidentsFactory : IncidentsFactory
{
    public KestrelIncidentsFactory() => UseKestrel(0);

    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}

/// <summary>Issue 21, item 7: the CLI falls back to the standby region when the primary cannot be connected to.</summary>
public sealed class CliRegionTests(KestrelIncidentsFactory factory) : IClassFixture<KestrelIncidentsFactory>
{
    /// <summary>An address where nothing listens: a port the system gave out and that was closed again.</summary>
    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    private async Task<(int Exit, string Output, string Error)> RunAsync(Uri primary, Uri standby, params string[] args)
    {
        var token = factory.Credentials.IssueToken("lead-regions", [SuiteRoles.OnCall], TimeSpan.FromDays(90));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await PrivacyCli.RunAsync([.. args, "--api", primary.ToString(), "--standby-api", standby.ToString(), "--token", token, "--output", "json"],
            PrivacyCli.CreateConsole(redirected: true, output), connection => connection.CreateHttpClient(error), error: error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    [Trait("Issue", "21")]
    public async Task When_the_primary_refuses_connections_the_cli_uses_the_standby_and_says_so_on_stderr()
    {
        var primary = ClosedPort();

        var declared = await RunAsync(primary, factory.Address, "incident", "declare", "--title", "Standby check", "--type", "Intrusion", "--place", "Guangzhou");
        var id = JsonDocument.Parse(declared.Output).RootElement.GetProperty("id").GetString()!;
        var watched = await RunAsync(primary, factory.Address, "incident", "show", id, "--watch", "--watch-for", "00:00:04"); // two polls or more, even on a loaded machine

        Assert.Equal(0, declared.Exit);
        Assert.Contains($"The primary region ({primary}) does not answer (ConnectionRefused); trying the standby region ({factory.Address})", declared.Error);
        Assert.Equal(0, watched.Exit);
        Assert.True(watched.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 2, watched.Output);
        // Once the standby answered, the rest of the command stays there: one notice, not one per request.
        Assert.Single(watched.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    [Trait("Issue", "21")]
    public async Task An_answer_from_the_primary_even_a_404_is_not_retried_in_the_standby()
    {
        var missing = await RunAsync(factory.Address, ClosedPort(), "incident", "show", Guid.NewGuid().ToString());
        var bothDown = await RunAsync(ClosedPort(), ClosedPort(), "incident", "list");

        Assert.Equal(1, missing.Exit);
        Assert.Equal("", missing.Output);
        Assert.Contains("404", missing.Error);
        Assert.DoesNotContain("trying", missing.Error);
        Assert.Equal(2, bothDown.Exit);
        Assert.Equal("", bothDown.Output);
        Assert.Contains("trying the standby region", bothDown.Error);
        Assert.Contains("cannot be reached", bothDown.Error);
    }
}
