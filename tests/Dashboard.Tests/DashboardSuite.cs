using System.Diagnostics;
using System.Net.Http.Headers;
using System.Reflection;
using Microsoft.Playwright;
using PrivacySuite.AppHost.Hosting.Model;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PrivacySuite.Dashboard.Tests;

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardSuite>
{
    public const string Name = "dashboard";
}

/// <summary>
/// The whole suite booted once through the AppHost's own Program (as Suite.Tests does), plus one Playwright driver
/// and one headless Debian chromium shared by every test of the collection (each costs about a second to start).
/// </summary>
public sealed class DashboardSuite : IAsyncLifetime
{
    /// <summary>The flags INFRA.md lists for Debian's chromium here: no sandbox (root), no GPU, nothing from the network.</summary>
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly Action<string> _output = TestOutput.Sink("apphost-dashboard");
    private Task<int>? _entryPoint;

    public DistributedApplication App { get; private set; } = null!;

    public string StateDir { get; } = NewStateDir();

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public TimeSpan TimeToHealthy { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        (App, _entryPoint) = await DistributedApplicationFactory.StartAsync(
            Assembly.Load("PrivacySuite.AppHost"), ["--state-dir", StateDir, "--random-ports"], _output, TimeSpan.FromSeconds(60));
        var launching = StartBrowserAsync();
        var healthy = App.WaitForAllHealthyAsync(TimeSpan.FromSeconds(150));
        if (await Task.WhenAny(healthy, _entryPoint) != healthy || !await healthy)
        {
            var notReady = string.Join(", ", App.Resources.Where(r => !r.IsReady).Select(r => $"{r.Name} {r.State}/{r.Health}"));
            throw new TimeoutException($"Not every resource became Running and Healthy within 150 s: {notReady}");
        }

        TimeToHealthy = clock.Elapsed;
        await launching;
    }

    private async Task StartBrowserAsync()
    {
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A page logged in through the login URL the AppHost prints, as an operator opens it.</summary>
    public async Task<IPage> LoggedInPageAsync(int width = 1280, int height = 800, bool isMobile = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = isMobile,
            HasTouch = isMobile,
            DeviceScaleFactor = 1,
            TimezoneId = "Asia/Shanghai",
            Locale = "en-GB",
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(App.Dashboard.LoginUrl);
        await page.WaitForSelectorAsync("table.resources tbody tr");
        return page;
    }

    /// <summary>The dashboard's JSON APIs with the browser token, as a tool would call them.</summary>
    public HttpClient Dashboard()
    {
        var client = new HttpClient { BaseAddress = new Uri(App.Dashboard.Url), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", App.Dashboard.BrowserToken);
        return client;
    }

    /// <summary>A product backend calling a service with the dev API key.</summary>
    public HttpClient ProductBackend(string resource)
    {
        var client = new HttpClient { BaseAddress = new Uri(App[resource].Endpoint("http").Url), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Add("X-Api-Key", App.Builder.Credentials.ProductBackendApiKey);
        return client;
    }

    /// <summary>A person with <paramref name="role"/> calling a service with a dev bearer token.</summary>
    public HttpClient Person(string resource, string role)
    {
        var client = new HttpClient { BaseAddress = new Uri(App[resource].Endpoint("http").Url), Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", App.Builder.Credentials.IssueToken($"dashboard-test-{role}", [role]));
        return client;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Playwright?.Dispose();
        if (App is not null)
        {
            await App.StopAsync();
            await _entryPoint!.WaitAsync(TimeSpan.FromSeconds(60));
        }

        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
            // eng/test.sh sweeps its run's root.
        }
    }

    private static string NewStateDir()
    {
        // Under /tmp, so that the postgres user can reach it; eng/test.sh gives each run a root of its own.
        var root = Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") is { Length: > 0 } r ? r : Path.Combine(Path.GetTempPath(), "privacysuite-tests");
        Directory.CreateDirectory(root);
        return Path.Combine(root, $"{Environment.ProcessId}-dashboard");
    }
}
