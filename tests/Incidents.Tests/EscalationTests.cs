using System.Net;
using PrivacySuite.Contracts;
using PrivacySuite.Incidents.Model;

namespace PrivacySuite.Incidents.Tests;

public sealed class CriticalInfrastructureFactory : IncidentsFactory
{
    protected override void Configure(IDictionary<string, string?> settings) =>
        settings["PrivacySuite:Incidents:OperatorType"] = "critical-infrastructure";
}

public sealed class EscalationTests(CriticalInfrastructureFactory factory) : IClassFixture<CriticalInfrastructureFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task A_critical_infrastructure_operator_escalates_at_half_and_nine_tenths_of_its_hour_and_stops_once_reported()
    {
        using var client = factory.CreateOnCall();
        var awareAt = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(client, awareAt);
        var graded = await Drive.GradeAsync(client, incident.Id, 12_000_000);
        Assert.Equal(Grade.II, graded.Grade);
        Assert.Equal(awareAt.AddHours(1), graded.Clock.ReportDueAt);
        var mine = () => factory.Observer.Escalations.Where(e => e.IncidentId == incident.Id).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1));
        var beforeHalf = mine().Count;
        factory.Clock.Advance(TimeSpan.FromMinutes(31));
        await Eventually.HoldsAsync(() => Task.FromResult(mine().Count == 1), TimeSpan.FromSeconds(20), "the 50% escalation is published");
        factory.Clock.Advance(TimeSpan.FromMinutes(24));
        await Eventually.HoldsAsync(() => Task.FromResult(mine().Count == 2), TimeSpan.FromSeconds(20), "the 90% escalation is published");
        await Drive.FileReportAsync(client, incident.Id, ReportKind.Initial);
        factory.Clock.Advance(TimeSpan.FromMinutes(10));
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(0, beforeHalf);
        var escalations = mine();
        Assert.Equal(2, escalations.Count);
        Assert.All(escalations, e => Assert.Equal(awareAt.AddHours(1), e.DueAt));
        Assert.InRange(escalations[0].FractionElapsed, 0.5, 0.6);
        Assert.InRange(escalations[1].FractionElapsed, 0.9, 1.0);
        // Each escalation pages the on-call person (issue 21.5), by kind: the notification service sends it until acknowledged.
        var pages = factory.Observer.Pages.Where(p => p.Reference == incident.Id.ToString()).ToList();
        Assert.Equal([OnCallPageKinds.RegulatorReportHalfway, OnCallPageKinds.RegulatorReportNinety], pages.Select(p => p.Kind));
        Assert.All(pages, p => Assert.Contains(incident.Id.ToString(), p.WhatEn + p.WhatZhCn));
        Assert.Contains("50% of the time to report", pages[0].WhatEn);
        Assert.Contains("北京时间", pages[1].WhatZhCn);
        var view = await Drive.ShowAsync(client, incident.Id);
        Assert.Contains(view.Timeline, t => t is { Kind: "escalated-50", Actor: "regulator-clock" });
        Assert.Contains(view.Timeline, t => t is { Kind: "escalated-90", Actor: "regulator-clock" });
        Assert.Contains(view.Timeline, t => t.Kind == "report-initial" && t.Detail.Contains("on time"));
        Assert.False(view.Clock.Overdue);
        Assert.Null(view.Clock.SecondsLeft);
    }

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task A_deadline_that_passes_with_no_report_pages_once_for_where_the_clock_stands()
    {
        using var client = factory.CreateOnCall();
        var awareAt = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(client, awareAt);
        await Drive.GradeAsync(client, incident.Id, 12_000_000);
        var pages = () => factory.Observer.Pages.Where(p => p.Reference == incident.Id.ToString()).Select(p => p.Kind).ToList();

        factory.Clock.Advance(TimeSpan.FromMinutes(61));
        await Eventually.HoldsAsync(() => Task.FromResult(pages().Contains(OnCallPageKinds.RegulatorReportOverdue)), TimeSpan.FromSeconds(20),
            "the overdue page is requested");
        factory.Clock.Advance(TimeSpan.FromMinutes(30));
        await Task.Delay(TimeSpan.FromSeconds(1));

        // All three marks passed in one round of the watcher: each on the timeline, one page (the latest) for the person on call.
        Assert.Equal([OnCallPageKinds.RegulatorReportOverdue], pages());
        var overdue = factory.Observer.Pages.Single(p => p.Reference == incident.Id.ToString() && p.Kind == OnCallPageKinds.RegulatorReportOverdue);
        Assert.Contains("overdue", overdue.WhatEn);
        Assert.Contains("逾期", overdue.WhatZhCn);
        var view = await Drive.ShowAsync(client, incident.Id);
        Assert.Single(view.Timeline, t => t is { Kind: "escalated-overdue", Actor: "regulator-clock" });
        Assert.Single(view.Timeline, t => t is { Kind: "escalated-50", Actor: "regulator-clock" });
    }

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public async Task The_deadline_runs_from_awareness_even_when_the_incident_is_declared_and_graded_late()
    {
        using var client = factory.CreateOnCall();
        var awareAt = factory.Clock.Now().AddMinutes(-75);
        var incident = await Drive.DeclareAsync(client, awareAt);

        var graded = await Drive.GradeAsync(client, incident.Id, 1_000_000);

        Assert.Equal(awareAt.AddHours(1), graded.Clock.ReportDueAt);
        Assert.True(graded.Clock.Overdue);
        Assert.True(graded.Clock.SecondsLeft < 0);
        await Drive.FileReportAsync(client, incident.Id, ReportKind.Initial);
        var view = await Drive.ShowAsync(client, incident.Id);
        Assert.Contains(view.Timeline, t => t.Kind == "report-initial" && t.Detail.Contains("LATE"));
        Assert.True(view.Clock.Overdue);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/incidents/{incident.Id}")).StatusCode);
    }
}
