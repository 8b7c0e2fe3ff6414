using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PrivacySuite.AppHost.Hosting.Model;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PrivacySuite.Dashboard.Tests;

/// <summary>The dashboard in headless chromium, against the running suite: what an operator sees and clicks.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class BrowserTests(DashboardSuite suite, ITestOutputHelper output)
{
    private static readonly LocatorAssertionsToHaveCountOptions Patient = new() { Timeout = 30_000 };

    [Fact]
    public async Task The_resources_table_shows_every_resource_running_and_healthy()
    {
        output.WriteLine($"Suite healthy {suite.TimeToHealthy.TotalSeconds:0.0} s after start.");
        var page = await suite.LoggedInPageAsync();

        var rows = page.Locator("table.resources tbody tr");
        await Expect(rows).ToHaveCountAsync(suite.App.Resources.Count);
        foreach (var resource in suite.App.Resources)
        {
            var row = page.Locator($"tr[data-resource='{resource.Name}']");
            await Expect(row.Locator(".badge.s-Running")).ToHaveTextAsync("Running");
            await Expect(row.Locator(".badge.h-Healthy")).ToHaveTextAsync("Healthy");
        }

        Assert.Equal(16, suite.App.Resources.Count); // two regions: broker, cluster, MailDev and five services each
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Clause", "INF-1.4")]
    public async Task The_failover_button_promotes_the_standby_and_the_old_primary_comes_back_as_its_standby()
    {
        var coordinator = suite.App.RegionCoordinator!;
        var page = await suite.LoggedInPageAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync(); // "Fail over to guangzhou?"
        await page.GotoAsync($"{suite.App.Dashboard.Url}/#/regions");
        await Expect(page.Locator("dd[data-mode='sync']")).ToHaveCountAsync(1, Patient);

        await page.Locator("tr[data-region='guangzhou'] button.failover").ClickAsync();

        await Expect(page.Locator("tr[data-region='guangzhou'] .badge.role-primary")).ToHaveCountAsync(1, Patient);
        await Expect(page.Locator(".failover-report h2")).ToContainTextAsync("beijing → guangzhou, planned");
        Assert.Equal("guangzhou", coordinator.Primary.Name);
        // Beijing's cluster is rebuilt from Guangzhou and streams synchronously again.
        await Expect(page.Locator("dd[data-mode='sync']")).ToHaveCountAsync(1, new() { Timeout = 90_000 });

        // Leave the suite as the other tests expect it: Beijing primary, everything healthy.
        await coordinator.FailoverAsync("beijing");
        await Expect(page.Locator("tr[data-region='beijing'] .badge.role-primary")).ToHaveCountAsync(1, Patient);
        await Expect(page.Locator("dd[data-mode='sync']")).ToHaveCountAsync(1, new() { Timeout = 90_000 });
        Assert.True(await suite.App.WaitForAllHealthyAsync(TimeSpan.FromSeconds(90)), "every resource healthy after the failback");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Clicking_restart_on_a_service_restarts_it_and_it_becomes_healthy_again()
    {
        var service = suite.App["notifications-guangzhou"];
        var pid = service.ProcessId!.Value;
        var startedAt = service.StartedAt!.Value;
        var page = await suite.LoggedInPageAsync();
        var row = page.Locator("tr[data-resource='notifications-guangzhou']");
        var startedText = await row.Locator("td.started").GetAttributeAsync("data-started");

        await row.Locator("button.restart").ClickAsync();

        await Eventually.HoldsAsync(() => Task.FromResult(service.ProcessId is { } now && now != pid && service.IsReady),
            TimeSpan.FromSeconds(60), "notifications-guangzhou running again under a new process, and healthy");
        Assert.True(service.StartedAt > startedAt);
        await Expect(row.Locator(".badge.h-Healthy")).ToHaveTextAsync("Healthy", new() { Timeout = 10_000 });
        await Expect(row.Locator("td.started")).Not.ToHaveAttributeAsync("data-started", startedText!, new() { Timeout = 10_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_consent_granted_through_the_api_appears_as_one_trace_with_spans_from_consent_and_vault()
    {
        var subject = await SuiteActivity.GrantConsentAsync(suite);

        // The request's trace crosses the outbox relay and RabbitMQ into the vault's consumer.
        var traceId = await SuiteActivity.TraceAsync(suite, subject, "consent-beijing", "vault-beijing");
        var page = await suite.LoggedInPageAsync();
        await page.GotoAsync($"{suite.App.Dashboard.Url}/#/traces/{traceId}");

        await Expect(page.Locator(".wf-row[data-resource='consent-beijing']").First).ToBeVisibleAsync();
        await Expect(page.Locator(".wf-row[data-resource='vault-beijing']").First).ToBeVisibleAsync();
        await Expect(page.Locator(".legend")).ToContainTextAsync("consent-beijing");
        await Expect(page.Locator(".legend")).ToContainTextAsync("vault-beijing");

        // A span's attributes open beside the waterfall.
        await page.Locator(".wf-row[data-resource='vault-beijing']").Last.ClickAsync();
        await Expect(page.Locator(".span-details dd").First).ToContainTextAsync("vault-beijing");
        await Expect(page.Locator(".span-details table").First).ToBeVisibleAsync();

        // And the list shows the trace when filtered by either service.
        await page.GotoAsync($"{suite.App.Dashboard.Url}/#/traces?resource=vault-beijing");
        await Expect(page.Locator($"tr[data-trace='{traceId}']")).ToHaveCountAsync(1, Patient);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_incident_declared_through_the_api_appears_with_its_grade_and_a_live_countdown()
    {
        var id = await SuiteActivity.DeclareIncidentAsync(suite, "Orders replica exposed");
        var page = await suite.LoggedInPageAsync();

        await page.GotoAsync($"{suite.App.Dashboard.Url}/#/incidents");
        var row = page.Locator($"tr[data-incident='{id}']");
        await Expect(row).ToHaveCountAsync(1, Patient);
        await Expect(row).ToContainTextAsync("Orders replica exposed");
        await Expect(row.Locator(".grade")).ToHaveTextAsync("Grade II");
        var countdown = row.Locator(".countdown");
        await Expect(countdown).ToHaveTextAsync(Countdown());
        var first = await countdown.TextContentAsync();
        await Expect(countdown).Not.ToHaveTextAsync(first!, new() { Timeout = 5_000 });
        Assert.DoesNotContain("overdue", await countdown.TextContentAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Without_the_token_the_page_asks_for_it_and_shows_no_operations_data()
    {
        var context = await suite.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();

        await page.GotoAsync($"{suite.App.Dashboard.Url}/#/incidents");
        await Expect(page.Locator("#login")).ToBeVisibleAsync();
        await Expect(page.Locator("tr[data-incident]")).ToHaveCountAsync(0);

        await page.Locator("#token").FillAsync("not-the-token");
        await page.Locator("#login-form button").ClickAsync();
        await Expect(page.Locator("#login-error")).ToContainTextAsync("token");

        await page.Locator("#token").FillAsync(suite.App.Dashboard.BrowserToken);
        await page.Locator("#login-form button").ClickAsync();
        await Expect(page.Locator("#login")).ToBeHiddenAsync();
        await Expect(page.Locator("main h1")).ToHaveTextAsync("Open incidents");
        await context.CloseAsync();
    }

    [GeneratedRegex(@"^(\d+ d )?\d+ h \d{2} min \d{2} s$")]
    private static partial Regex Countdown();
}
