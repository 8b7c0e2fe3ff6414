using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using PrivacySuite.FailoverDrill;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PrivacySuite.Operations.Tests;

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "operations console";
}

/// <summary>
/// The whole suite booted once through the real AppHost (every port free, state in a temporary folder), with real work
/// done through the services' APIs (an incident, a legal hold, a subject request, a sweep), and one headless chromium
/// shared by the browser tests.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private static int _counter;

    public RunningSuite Suite { get; private set; } = null!;

    public string StateDir { get; } = NewStateDir();

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public Uri Console => Suite.Endpoint("operations");

    /// <summary>The console's password, as an operator finds it: secrets.json in the state folder.</summary>
    public string Password =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(StateDir, "secrets.json")))!["operations-password"];

    public string IncidentTitle { get; } = $"Orders replica exposed {Guid.NewGuid():N}"[..34];

    public Guid IncidentId { get; private set; }

    public string HoldReference { get; } = $"SAMR inquiry {Random.Shared.Next(1000, 9999)}";

    public Guid HoldId { get; private set; }

    /// <summary>A version of the scooter policy, published with its announcement, for the notices view.</summary>
    public string PolicyVersion { get; } = $"ops-{Guid.NewGuid():N}"[..20];

    public async Task InitializeAsync()
    {
        var browser = StartBrowserAsync();
        Suite = await RunningSuite.StartAsync(StateDir, TimeSpan.FromSeconds(540));
        await browser;
        IncidentId = await DeclareIncidentAsync();
        HoldId = await PlaceLegalHoldAsync();
        await StartSubjectRequestAsync();
        await StartSweepAsync();
        await PublishPolicyVersionAsync();
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

    /// <summary>A client of the console that keeps its cookie (signed in when asked).</summary>
    public async Task<HttpClient> ConsoleClientAsync(bool signedIn)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = Console,
            Timeout = TimeSpan.FromSeconds(90),
        };
        if (signedIn)
        {
            using var login = await client.PostAsJsonAsync("/api/login", new { password = Password });
            Assert.Equal(HttpStatusCode.NoContent, login.StatusCode);
        }

        return client;
    }

    /// <summary>A new browser page, signed in through the console's form.</summary>
    public async Task<IPage> SignedInPageAsync(ViewportSize? viewport = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 860 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(Console.ToString());
        await page.Locator("#password").FillAsync(Password);
        await page.Locator("#login-form button[type=submit]").ClickAsync();
        await page.Locator("nav a[data-view='incidents']").WaitForAsync();
        return page;
    }

    public HttpClient Person(string resource, params string[] roles)
    {
        // Generous: two other engineers' suites share this machine's two cores.
        var client = new HttpClient { BaseAddress = Suite.Endpoint(resource), Timeout = TimeSpan.FromSeconds(90) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", Suite.Credentials.IssueToken("operations-tests", roles, TimeSpan.FromHours(1)));
        return client;
    }

    /// <summary>A product backend's client of a service, with its API key.</summary>
    public HttpClient ProductBackend(string resource)
    {
        var client = new HttpClient { BaseAddress = Suite.Endpoint(resource), Timeout = TimeSpan.FromSeconds(90) };
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, Suite.Credentials.ProductBackendApiKey);
        return client;
    }

    /// <summary>Declares a data leak in the primary region and grades it II, so the regulator's report clock runs.</summary>
    private async Task<Guid> DeclareIncidentAsync()
    {
        using var incidents = Person($"incidents-{Suite.Primary}", SuiteRoles.OnCall);
        using var declared = await incidents.PostAsJsonAsync("/v1/incidents/",
            new { title = IncidentTitle, type = "DataLeak", place = "orders database replica", awareAt = DateTimeOffset.UtcNow.AddMinutes(-150) });
        await ExpectAsync(declared, HttpStatusCode.Created);
        var id = (await declared.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var graded = await incidents.PostAsJsonAsync($"/v1/incidents/{id}/grade",
            new { peopleAffected = 12000, categories = new[] { "contact", "identity" }, economicLossCny = 0, criticalSystemOutageMinutes = 0, overrideGrade = "II", overrideReason = "Identity documents among the records" });
        await ExpectAsync(graded, HttpStatusCode.OK);
        return id;
    }

    private async Task PublishPolicyVersionAsync()
    {
        using var consent = Person($"consent-{Suite.Primary}", SuiteRoles.PrivacyOfficer);
        using var published = await consent.PublishVersionAsync("iwalk-scooter", new { version = PolicyVersion, changedPurposes = Array.Empty<string>() });
        await ExpectAsync(published, HttpStatusCode.Created);
    }

    private async Task<Guid> PlaceLegalHoldAsync()
    {
        using var retention = Person($"retention-{Suite.Primary}", SuiteRoles.PrivacyOfficer);
        using var placed = await retention.PostAsJsonAsync("/v1/legal-holds/",
            new { category = "Delivery", reasonCode = "authority", reference = HoldReference, reviewAt = DateTimeOffset.UtcNow.AddDays(30) });
        await ExpectAsync(placed, HttpStatusCode.Created, HttpStatusCode.OK);
        return (await placed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>
    /// Stores a subject's contact data, verifies it with the code notifications mails to it (read back from the region's
    /// MailDev), and starts an access request; the vault sends codes through notifications, to verified contacts only.
    /// </summary>
    private async Task StartSubjectRequestAsync()
    {
        using var vault = new HttpClient { BaseAddress = Suite.Endpoint($"vault-{Suite.Primary}"), Timeout = TimeSpan.FromSeconds(90) };
        vault.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, Suite.Credentials.ProductBackendApiKey);
        var subject = $"s-{Guid.NewGuid():N}";
        var email = $"{subject}@example.cn";
        using var stored = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/data",
            new { category = "contact", source = "provided", legalBasis = "consent", fields = new { email, language = "en" } });
        await ExpectAsync(stored, HttpStatusCode.Created, HttpStatusCode.OK);
        using var proof = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/contact-verifications", new { field = "email" });
        await ExpectAsync(proof, HttpStatusCode.Accepted);
        var proofId = (await proof.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();

        using var mail = new HttpClient { BaseAddress = Suite.Endpoint($"maildev-{Suite.Primary}", "web"), Timeout = TimeSpan.FromSeconds(30) };
        string? code = null;
        await Eventually.HoldsAsync(async () =>
        {
            var received = await mail.GetFromJsonAsync<List<ReceivedMail>>("email") ?? [];
            code = received.Where(m => m.To.Any(t => t.Address == email))
                .Select(m => System.Text.RegularExpressions.Regex.Match(m.Text ?? "", @"(?<![0-9])[0-9]{6}(?![0-9])"))
                .FirstOrDefault(m => m.Success)?.Value;
            return code is not null;
        }, TimeSpan.FromSeconds(90), "the contact's verification code was mailed");
        using var verified = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/verified-contacts", new { verificationId = proofId, code });
        await ExpectAsync(verified, HttpStatusCode.OK);

        using var started = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/verifications", new { request = "access" });
        await ExpectAsync(started, HttpStatusCode.Accepted);
    }

    private async Task StartSweepAsync()
    {
        using var retention = Person($"retention-{Suite.Primary}", SuiteRoles.Operator);
        using var started = await retention.PostAsJsonAsync("/v1/sweeps/", new { dryRun = false });
        await ExpectAsync(started, HttpStatusCode.Created, HttpStatusCode.Accepted, HttpStatusCode.OK);
    }

    private static async Task ExpectAsync(HttpResponseMessage response, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Playwright?.Dispose();
        if (Suite is not null)
        {
            await Suite.DisposeAsync();
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
        var dir = Path.Combine(root, $"{Environment.ProcessId}-operations-{Interlocked.Increment(ref _counter)}");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        return dir;
    }
}
