using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PrivacySuite.Operations.Tests;

/// <summary>The console in headless chromium against the running suite: what an operator signs into and reads.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class BrowserTests(ConsoleFixture console, ITestOutputHelper output)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Patient = new() { Timeout = 30_000 };

    [Fact]
    public async Task A_wrong_password_in_the_form_shows_why_and_the_views_stay_hidden()
    {
        var context = await console.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(console.Console.ToString());
        await Expect(page.Locator("#login-form")).ToBeVisibleAsync();
        await Screenshot(page, "operations-login");

        await page.Locator("#password").FillAsync("not-the-password");
        await page.Locator("#login-form button[type=submit]").ClickAsync();

        await Expect(page.Locator("#login-error")).ToContainTextAsync("not the operations console's password");
        await Expect(page.Locator("#view")).ToBeHiddenAsync();
        await context.CloseAsync();
    }

    [Fact]
    public async Task An_operator_signs_in_and_walks_every_view_with_the_suites_data()
    {
        output.WriteLine($"Suite healthy {console.Suite.TimeToHealthy.TotalSeconds:0.0} s after start.");
        var page = await console.SignedInPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };

        await WalkAsync(page, "desktop");

        // Sign out returns to the form.
        await page.Locator("#logout").ClickAsync();
        await Expect(page.Locator("#login-form")).ToBeVisibleAsync();
        Assert.Empty(errors); // no CSP violation, no script error
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_every_view_reads_as_stacked_cards()
    {
        var page = await console.SignedInPageAsync(new ViewportSize { Width = 390, Height = 844 });

        await WalkAsync(page, "phone");

        // Table rows become cards: no horizontal scrolling on a phone.
        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(scrollWidth <= 390, $"the page is {scrollWidth} px wide on a 390 px screen");
        await page.Context.CloseAsync();
    }

    private async Task WalkAsync(IPage page, string device)
    {
        var suffix = device == "desktop" ? "" : $"-{device}";

        await page.Locator("nav a[data-view='incidents']").ClickAsync();
        var incident = page.Locator($"tr[data-incident='{console.IncidentId}']");
        await Expect(incident).ToBeVisibleAsync(Patient);
        await Expect(incident).ToContainTextAsync(console.IncidentTitle);
        await Expect(incident.Locator(".grade")).ToHaveTextAsync("Grade II");
        // The countdown runs: it shows a different second a moment later.
        var clock = incident.Locator(".countdown");
        var first = await clock.TextContentAsync();
        await Expect(clock).Not.ToHaveTextAsync(first!, new() { Timeout = 5_000 });
        await Expect(page.Locator($"tr[data-incident='{console.IncidentId}']")).ToHaveCountAsync(1);
        // Aware for 150 of its 240 minutes: past the 50% mark, so the person on call was paged (issue 21.5).
        await Expect(page.Locator($"tr[data-page-reference='{console.IncidentId}']")).ToContainTextAsync("50%", new() { Timeout = 30_000 });
        await Screenshot(page, $"operations-incidents{suffix}");

        await page.Locator("nav a[data-view='queues']").ClickAsync();
        foreach (var region in new[] { "beijing", "guangzhou" })
        {
            await Expect(page.Locator($"section[data-region='{region}'] tr[data-service='incidents-{region}'] td.outbox[data-backlog]")).ToBeVisibleAsync(Patient);
        }

        await Expect(page.Locator("section[data-region] .error")).ToHaveCountAsync(0);
        await Screenshot(page, $"operations-queues{suffix}");

        await page.Locator("nav a[data-view='requests']").ClickAsync();
        await Expect(page.Locator("tr[data-request]").First).ToBeVisibleAsync(Patient);
        await Screenshot(page, $"operations-requests{suffix}");

        await page.Locator("nav a[data-view='retention']").ClickAsync();
        var hold = page.Locator($"tr[data-hold='{console.HoldId}']");
        await Expect(hold).ToBeVisibleAsync(Patient);
        await Expect(hold).ToContainTextAsync(console.HoldReference);
        await Expect(page.Locator("tr[data-sweep]").First).ToBeVisibleAsync(Patient);
        await Screenshot(page, $"operations-retention{suffix}");

        await page.Locator("nav a[data-view='notices']").ClickAsync();
        await Expect(page.Locator(".view-body[data-loaded='true']")).ToBeVisibleAsync(Patient);
        await Expect(page.Locator($"tr[data-announcement='iwalk-scooter/{console.PolicyVersion}']")).ToBeVisibleAsync(Patient);
        await Screenshot(page, $"operations-notices{suffix}");

        await page.Locator("nav a[data-view='regions']").ClickAsync();
        await Expect(page.Locator($"section[data-cluster='postgres-{console.Suite.Primary}'][data-role='primary'] [data-sync]").First).ToBeVisibleAsync(Patient);
        await Expect(page.Locator($"section[data-cluster='postgres-{console.Suite.Standby}'][data-role='standby']")).ToBeVisibleAsync(Patient);
        await Screenshot(page, $"operations-regions{suffix}");
    }

    private static Task Screenshot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ImagesFolder(), $"{name}.png"), FullPage = true });

    /// <summary>docs/images of the repository, where the browser tests leave their screenshots.</summary>
    internal static string ImagesFolder()
    {
        var images = Path.Combine(RepositoryRoot(), "docs", "images");
        Directory.CreateDirectory(images);
        return images;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivacySuite.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PrivacySuite.sln not found above the test's folder");
    }
}
