extern alias vault;

using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Incidents.Apis;
using PrivacySuite.Incidents.Model;
using VaultService = vault::PrivacySuite.Vault.Model.VaultService;

namespace PrivacySuite.Incidents.Tests;

/// <summary>A vault of its own for these tests: the everyone scope counts every subject in it.</summary>
public sealed class AffectedScopeFactory : SuiteFactory;

/// <summary>
/// Issue 21, item 6: an incident names who it affects (a list of subjects, a category at any time, everyone), and each
/// scope works through the real API, the real vault and the real notification service: the right subjects are planned,
/// each gets one notice, and nobody else gets one.
/// </summary>
public sealed class AffectedScopeTests(AffectedScopeFactory factory) : IClassFixture<AffectedScopeFactory>
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private string Domain => $"scope{_run}.example";

    private async Task<string> StoreAsync(string name, string category, bool withEmail = true)
    {
        var subjectId = $"sc-{_run}-{name}";
        object fields = category == "contact"
            ? withEmail ? new { email = $"{subjectId}@{Domain}", language = "en" } : new { language = "en" }
            : new { note = "device-1" };
        using var backend = factory.VaultBackend();
        using var response = await backend.PostAsJsonAsync($"/v1/subjects/{subjectId}/data", new { category, source = "provided", legalBasis = "consent", fields });
        await Drive.ExpectAsync(response, HttpStatusCode.OK);
        return subjectId;
    }

    /// <summary>An incident up to its notices, started for <paramref name="affected"/>; the campaign once every subject has an outcome.</summary>
    private async Task<(IncidentView Incident, CampaignView Campaign)> NotifiedAsync(object affected, int outcomes)
    {
        using var lead = factory.CreateOnCall("lead-zhou");
        var now = factory.Clock.Now();
        var incident = await Drive.DeclareAsync(lead, now.AddMinutes(-10));
        await Drive.GradeAsync(lead, incident.Id, 50);
        await Drive.ContainAsync(lead, incident.Id);
        using (var notify = await Drive.NotifyAsync(lead, incident.Id, affected))
        {
            await Drive.ExpectAsync(notify, HttpStatusCode.Accepted);
        }

        CampaignView? campaign = null;
        await Eventually.HoldsAsync(async () =>
        {
            campaign = await lead.GetFromJsonAsync<CampaignView>($"/v1/incidents/{incident.Id}/notices");
            return campaign!.Status == CampaignStatus.Requested && campaign.Delivered + campaign.Failed == outcomes;
        }, Delivery, $"every batch is requested and {outcomes} subjects have an outcome");
        return (await Drive.ShowAsync(lead, incident.Id), campaign!);
    }

    /// <summary>The notification service's ledger of the campaign: subject, status, channel; one row per notice.</summary>
    private Task<List<string>> LedgerAsync(CampaignView campaign) =>
        factory.Notifications.QueryAsync<string>(
            "select subject_id || ':' || status || ':' || coalesce(channel, '') from deliveries where request_id = any($1) order by subject_id",
            (object)Enumerable.Range(1, campaign.BatchesRequested).Select(n => DeterministicIds.Batch(campaign.Id, n)).ToArray());

    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.8")]
    public async Task A_named_list_reaches_exactly_the_named_subjects_the_vault_holds_and_reports_the_one_it_does_not()
    {
        var first = await StoreAsync("named-1", "contact");
        var second = await StoreAsync("named-2", "contact");
        var notNamed = await StoreAsync("not-named", "contact");
        var typo = $"sc-{_run}-nobody";

        var (incident, campaign) = await NotifiedAsync(new { kind = "subjects", subjectIds = new[] { second, typo, first } }, outcomes: 2);

        Assert.Equal(("subjects", 3, 1L), (campaign.Scope, campaign.SubjectsNamed, campaign.SubjectsNotFound));
        Assert.Equal((2L, 2L, 0L), (campaign.SubjectsPlanned, campaign.Delivered, campaign.Failed));
        Assert.Null(campaign.From);
        Assert.Null(campaign.To);
        Assert.Equal([$"{first}:delivered:email", $"{second}:delivered:email"], await LedgerAsync(campaign));
        var mail = await factory.Mail.ArrivedAsync(Domain, 2);
        await Task.Delay(TimeSpan.FromSeconds(1)); // a second notice to anyone would have had the time to arrive
        Assert.Equal([first, second], (await factory.Mail.ArrivedAsync(Domain, 2)).Select(m => m.Recipient.Split('@')[0]).Order());
        Assert.Equal(2, mail.Count);
        Assert.Empty(await factory.Notifications.QueryAsync<string>("select subject_id from deliveries where subject_id = any($1)", (object)new[] { typo, notNamed }));
        Assert.Contains(incident.Timeline, t => t.Kind == "notifying" && t.Detail.Contains("subjects scope, 3 named subjects") && !t.Detail.Contains(first));
        Assert.Contains(incident.Timeline, t => t.Kind == "notices-requested" && t.Detail.Contains("1 named subjects the vault does not hold"));
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.8")]
    public async Task A_category_scope_reaches_everyone_with_data_of_the_category_however_long_ago_it_was_stored()
    {
        var recent = await StoreAsync("recent", "contact");
        var old = await StoreAsync("old", "contact");
        var otherCategory = await StoreAsync("device-only", "device");
        // A backup taken years ago holds this subject's contact: stored long before any window an incident would name.
        await factory.RealVault.QueryAsync<int>("update personal_values set stored_at = '2019-03-01', updated_at = '2019-03-01' where subject_id = $1 returning 1", old);

        var (incident, campaign) = await NotifiedAsync(new { kind = "category", categories = new[] { "contact" } }, outcomes: await ContactSubjectsAsync());

        Assert.Equal("category", campaign.Scope);
        Assert.Equal(["contact"], campaign.Categories);
        Assert.Equal(await ContactSubjectsAsync(), campaign.SubjectsPlanned);
        var ledger = await LedgerAsync(campaign);
        Assert.Contains($"{old}:delivered:email", ledger);
        Assert.Contains($"{recent}:delivered:email", ledger);
        Assert.DoesNotContain(ledger, l => l.StartsWith(otherCategory + ":", StringComparison.Ordinal));
        Assert.Equal(ledger.Count, ledger.Select(l => l.Split(':')[0]).Distinct().Count());
        Assert.Equal([old, recent], (await factory.Mail.ArrivedAsync(Domain, 2)).Select(m => m.Recipient.Split('@')[0]).Order());
        Assert.Contains(incident.Timeline, t => t.Kind == "notifying" && t.Detail.Contains("category scope, categories contact whenever stored"));
    }

    [Fact]
    [Trait("Clause", "INF-3.4")]
    [Trait("Clause", "IWK-2.8")]
    public async Task Everyone_reaches_every_subject_the_vault_holds_once_and_sends_nothing_to_a_subject_it_erased()
    {
        var reachable = await StoreAsync("everyone", "contact");
        var device = await StoreAsync("device", "device");
        var erased = await StoreAsync("erased", "contact");
        await using (var scope = factory.RealVault.Services.CreateAsyncScope())
        {
            Assert.IsType<VaultService.ErasureResult.Erased>(
                await scope.ServiceProvider.GetRequiredService<VaultService>().EraseAsync(erased, "subject-request", "test", CancellationToken.None));
        }

        var held = (await factory.RealVault.QueryAsync<long>("select count(*) from subjects")).Single();
        var (incident, campaign) = await NotifiedAsync(new { kind = "everyone" }, outcomes: (int)held);

        Assert.Equal("everyone", campaign.Scope);
        Assert.Equal(held, campaign.SubjectsPlanned);
        var ledger = await LedgerAsync(campaign);
        Assert.Equal(held, ledger.Count);
        Assert.Equal(ledger.Count, ledger.Select(l => l.Split(':')[0]).Distinct().Count());
        Assert.Contains($"{reachable}:delivered:email", ledger);
        Assert.Contains(ledger, l => l.StartsWith(device + ":failed:", StringComparison.Ordinal)); // no contact: the bulletin tells them
        Assert.Contains(ledger, l => l.StartsWith(erased + ":failed:", StringComparison.Ordinal));
        var mail = await factory.Mail.ArrivedAsync(Domain, 1);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal([reachable], (await factory.Mail.ArrivedAsync(Domain, 1)).Select(m => m.Recipient.Split('@')[0]));
        Assert.Single(mail);
        Assert.Equal("subjects-unreachable", campaign.Bulletin?.Reason);
        Assert.Contains(incident.Timeline, t => t.Kind == "notifying" && t.Detail.Contains("everyone scope, every subject the vault holds"));
    }

    private async Task<int> ContactSubjectsAsync() =>
        (int)(await factory.RealVault.QueryAsync<long>("select count(distinct subject_id) from personal_values where category = 'contact'")).Single();
}
