using System.Net;
using System.Net.Sockets;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Model;

namespace PrivacySuite.Suite.Tests;

/// <summary>What the operator sees when the machine is not ready: one clear line per problem, and nothing started.</summary>
public sealed class PreflightTests : IDisposable
{
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), "privacysuite-tests", $"{Environment.ProcessId}-preflight-{Guid.NewGuid():N}");

    [Fact]
    public async Task A_port_in_use_is_named_with_the_option_that_moves_it()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var builder = DistributedApplication.CreateBuilder(["--state-dir", _stateDir, "--random-ports", "--port", $"postgres-beijing={taken}"]);
        builder.AddPostgres("postgres-beijing", builder.AddRegion("beijing"), port: 5440);
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<HostingException>(() => app.StartAsync());

        Assert.Contains($"Port {taken} for postgres-beijing (tcp) is already in use", error.Message, StringComparison.Ordinal);
        Assert.Contains($"--port postgres-beijing.tcp=N", error.Message, StringComparison.Ordinal);
        Assert.Equal(ResourceStates.NotStarted, app["postgres-beijing"].State);
    }

    [Fact]
    public async Task A_service_that_was_not_built_gets_the_build_command()
    {
        var project = Path.Combine(_stateDir, "Unbuilt");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "PrivacySuite.Unbuilt.csproj"), "<Project />");
        var builder = DistributedApplication.CreateBuilder(["--state-dir", Path.Combine(_stateDir, "state"), "--random-ports"]);
        builder.AddProject("unbuilt-beijing", builder.AddRegion("beijing"), project, httpPort: 7100);
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<HostingException>(() => app.StartAsync());

        Assert.Contains("PrivacySuite.Unbuilt.dll is missing: build it with 'dotnet build AppHost -c", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_that_is_not_a_state_folder_is_never_wiped()
    {
        Directory.CreateDirectory(_stateDir);
        var precious = Path.Combine(_stateDir, "precious.txt");
        File.WriteAllText(precious, "keep me");

        var error = Assert.Throws<HostingException>(() => DistributedApplication.CreateBuilder(["--state-dir", _stateDir, "--fresh"]));

        Assert.Contains("is not a PrivacySuite state folder", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(precious));
    }

    [Fact]
    public void Fresh_wipes_a_state_folder_but_keeps_it_usable()
    {
        DistributedApplication.CreateBuilder(["--state-dir", _stateDir]);
        var old = Path.Combine(_stateDir, "postgres-beijing");
        Directory.CreateDirectory(old);
        var credentials = File.ReadAllText(Path.Combine(_stateDir, "credentials.json"));

        DistributedApplication.CreateBuilder(["--state-dir", _stateDir, "--fresh"]);

        Assert.False(Directory.Exists(old));
        Assert.NotEqual(credentials, File.ReadAllText(Path.Combine(_stateDir, "credentials.json")));
    }

    [Fact]
    public async Task A_second_apphost_on_the_same_state_folder_is_refused()
    {
        var first = DistributedApplication.CreateBuilder(["--state-dir", _stateDir, "--random-ports"]).Build();
        await using var _ = first;
        await first.StartAsync();
        var second = DistributedApplication.CreateBuilder(["--state-dir", _stateDir, "--random-ports"]).Build();
        await using var __ = second;

        var error = await Assert.ThrowsAsync<HostingException>(() => second.StartAsync());

        Assert.Contains($"Another AppHost is using {_stateDir}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port", "postgres-beijing")]
    [InlineData("--port", "postgres-beijing=70000")]
    [InlineData("--dashboard-port", "zero")]
    [InlineData("--no-such-option", "")]
    public void Bad_options_are_refused_with_the_usage(string option, string value)
    {
        var error = Assert.Throws<HostingException>(() => AppHostOptions.Parse([option, value]));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    public void Dispose()
    {
        if (Directory.Exists(_stateDir))
        {
            Directory.Delete(_stateDir, recursive: true);
        }
    }
}
