using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PrivacySuite.Dashboard.Tests;

/// <summary>
/// Every view against real activity done through the services' APIs, and its screenshot (1280x800, plus the phone
/// width). Screenshots land in the test's output folder, or in PRIVACYSUITE_DASHBOARD_SCREENSHOTS (docs/images when
/// the docs are refreshed).
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ViewsTests(DashboardSuite suite, ITestOutputHelper output)
{
    private static readonly string Screenshots = Environment.GetEnvironmentVariable("PRIVACYSUITE_DASHBOARD_SCREENSHOTS") is { Length: > 0 } dir
        ? dir
        : Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static readonly LocatorAssertionsToHaveCountOptions Patient = new() { Timeout = 30_000 };

    [Fact]
    public async Task The_privacy_operations_views_show_what_the_services_hold_and_every_view_renders_without_errors()
    {
        var subject = await SuiteActivity.GrantConsentAsync(suite);
        var incident = await SuiteActivity.DeclareIncidentAsync(suite, "Courier app token leak");
        var request = await SuiteActivity.StartSubjectRequestAsync(suite);
        var hold = await SuiteActivity.PlaceLegalHoldAsync(suite);
        var sweep = await SuiteActivity.StartSweepAsync(suite);
        var campaign = await SuiteActivity.SendCampaignAsync(suite, [subject, $"s-{Guid.NewGuid():N}", $"s-{Guid.NewGuid():N}"]);
        var trace = await SuiteActivity.TraceAsync(suite, subject, "consent-beijing", "vault-beijing");
        Directory.CreateDirectory(Screenshots);
        var page = await suite.LoggedInPageAsync();

        await ShowAsync(page, "resources", "table.resources tbody tr");
        await ShowAsync(page, "console/consent-beijing", "pre.console div");
        await ShowAsync(page, "logs?resource=vault-beijing", "table tbody tr", "logs");
        await ShowAsync(page, "traces", "table.traces tbody tr");
        await ShowAsync(page, $"traces/{trace}", ".wf-row[data-resource='vault-beijing']", "trace");
        await page.Locator(".wf-row[data-resource='vault-beijing']").Last.ClickAsync();
        await Shoot(page, "trace");
        await ShowAsync(page, "metrics?resource=consent-beijing", "section.metric svg", "metrics");
        await ShowAsync(page, "regions", "dd[data-mode='sync']");

        await ShowAsync(page, "incidents", $"tr[data-incident='{incident}'] .countdown");
        await ShowAsync(page, "queues", "section.region[data-region='guangzhou'] tr[data-outbox]");
        await Expect(page.Locator("section.region[data-region='beijing'] tr[data-outbox='consent-beijing']")).ToHaveCountAsync(1, Patient);
        await ShowAsync(page, "requests", $"tr[data-request='{request}']");
        await ShowAsync(page, "retention", $"tr[data-hold='{hold}']");
        await Expect(page.Locator($"tr[data-sweep='{sweep}']")).ToHaveCountAsync(1, Patient);
        await ShowAsync(page, "notices", $"tr[data-notice='{campaign}']");
        await page.Context.CloseAsync();

        var phone = await suite.LoggedInPageAsync(390, 844, isMobile: true);
        await ShowAsync(phone, "incidents", $"tr[data-incident='{incident}'] .countdown", "phone-incidents");
        await ShowAsync(phone, "resources", "table.resources tbody tr", "phone-resources");
        await phone.Context.CloseAsync();
        output.WriteLine($"Screenshots in {Screenshots}");

        // Every view was captured, as a PNG image.
        string[] views = ["resources", "console", "logs", "traces", "trace", "metrics", "regions", "incidents", "queues", "requests", "retention", "notices", "phone-incidents", "phone-resources"];
        Assert.All(views, view =>
        {
            var bytes = File.ReadAllBytes(Path.Combine(Screenshots, $"dashboard-{view}.png"));
            Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"dashboard-{view}.png is not a screenshot");
        });
    }

    /// <summary>Opens a view, waits for <paramref name="ready"/>, checks that no error is shown, and takes the screenshot.</summary>
    private async Task ShowAsync(IPage page, string route, string ready, string? name = null)
    {
        await page.GotoAsync($"{suite.App.Dashboard.Url}/#/{route}");
        await Expect(page.Locator(ready).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.Locator("main .error")).ToHaveCountAsync(0);
        await Shoot(page, name ?? route.Split('/', '?')[0]);
    }

    private static Task Shoot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"dashboard-{name}.png") });
}
