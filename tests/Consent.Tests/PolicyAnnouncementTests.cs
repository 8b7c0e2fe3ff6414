using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;

namespace PrivacySuite.Consent.Tests;

/// <summary>Announcements page through every subject of a policy: a database of their own, and small pages.</summary>
public sealed class AnnouncementFactory : ConsentFactory
{
    public const int PageSize = 10;

    public override Task InitializeAsync()
    {
        Settings["PrivacySuite:Consent:AnnouncementPageSize"] = PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Settings["PrivacySuite:Consent:AnnouncementInterval"] = "00:00:00.200";
        return base.InitializeAsync();
    }
}

/// <summary>Issue 21.1: a published policy version is announced to every subject of the policy by itself.</summary>
public sealed class PolicyAnnouncementTests(AnnouncementFactory factory) : IClassFixture<AnnouncementFactory>
{
    private static string NewVersion() => $"v{Guid.NewGuid():N}"[..20];

    [Fact]
    [Trait("Clause", "INF-7.1")]
    [Trait("Clause", "IWK-0.1")]
    public async Task Publishing_a_version_asks_for_the_update_notice_to_every_active_subject_of_the_policy_once_a_page_at_a_time()
    {
        using var client = factory.CreateProductBackendClient();
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var active = new List<string>();
        for (var i = 0; i < 23; i++)
        {
            active.Add(await client.RegisterAsync());
        }

        var cancelled = new[] { await client.RegisterAsync(), await client.RegisterAsync() };
        foreach (var subject in cancelled)
        {
            using var cancel = await client.PostAsync($"/v1/subjects/{subject}/cancellation", null);
            Assert.True(cancel.IsSuccessStatusCode, $"cancelling answered {(int)cancel.StatusCode}");
        }

        var otherPolicy = await client.RegisterAsync(policyId: "iwalk-scooter");
        await using var probe = await EventProbe<NoticeCampaignRequested>.StartAsync(await factory.TestBusAsync());
        var version = NewVersion();
        var effective = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        using var published = await officer.PublishVersionAsync("infobird", new
        {
            version,
            changedPurposes = new[] { "offers.relevant" },
            announcement = new
            {
                effectiveDate = effective,
                summary = new { en = "Offers now use your ride history.", zhCn = "优惠推荐将使用您的骑行记录。" },
                reviewUrl = "https://example.com/policy/infobird",
            },
        });
        JsonElement announcement = default;
        await Eventually.HoldsAsync(async () =>
        {
            var versions = await officer.GetFromJsonAsync<List<JsonElement>>("/v1/policy-versions?policyId=infobird");
            announcement = versions!.Single(v => v.GetProperty("version").GetString() == version).GetProperty("announcement");
            return announcement.GetProperty("finishedAt").ValueKind != JsonValueKind.Null;
        }, TimeSpan.FromSeconds(30), "the announcement finished");
        List<NoticeCampaignRequested> pages = [];
        await Eventually.HoldsAsync(() =>
        {
            pages = probe.Received.Where(p => p.Variables.GetValueOrDefault("policyVersion") == version).ToList();
            return Task.FromResult(pages.Sum(p => p.SubjectIds.Count) >= active.Count);
        }, TimeSpan.FromSeconds(15), "every page of the announcement reached the broker");

        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        var asked = pages.SelectMany(p => p.SubjectIds).ToList();
        Assert.Equal(active.Order(StringComparer.Ordinal), asked.Order(StringComparer.Ordinal)); // each active subject once
        Assert.DoesNotContain(otherPolicy, asked);
        Assert.All(cancelled, subject => Assert.DoesNotContain(subject, asked));
        Assert.Equal(3, pages.Count); // 10 + 10 + 3
        Assert.All(pages, p => Assert.True(p.SubjectIds.Count <= AnnouncementFactory.PageSize));
        Assert.Equal(pages.Count, pages.Select(p => p.RequestId).Distinct().Count());
        Assert.All(pages, p =>
        {
            Assert.Equal(NoticeTypes.PolicyUpdate, p.NoticeType);
            Assert.Equal(effective, p.Variables["effectiveDate"]);
            Assert.Equal("Offers now use your ride history.", p.Variables["summary.en"]);
            Assert.Equal("优惠推荐将使用您的骑行记录。", p.Variables["summary.zh-CN"]);
            Assert.Equal("https://example.com/policy/infobird", p.Variables["reviewUrl"]);
        });
        Assert.Equal(active.Count, announcement.GetProperty("subjectsAsked").GetInt32());
        Assert.Equal(3, announcement.GetProperty("pages").GetInt32());
    }

    [Theory]
    [InlineData("missing", "announcement")]
    [InlineData("past", "announcement.effectiveDate")]
    [InlineData("braces", "announcement.summary.en")]
    [InlineData("ftp", "announcement.reviewUrl")]
    [Trait("Clause", "INF-7.1")]
    public async Task A_version_whose_announcement_cannot_be_sent_is_refused_and_not_published(string flaw, string field)
    {
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var version = NewVersion();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        object? announcement = flaw switch
        {
            "missing" => null,
            _ => new
            {
                effectiveDate = (flaw == "past" ? today.AddDays(-1) : today).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                summary = new { en = flaw == "braces" ? "Now {with} braces" : "Plain.", zhCn = "说明。" },
                reviewUrl = flaw == "ftp" ? "ftp://example.com/policy" : "https://example.com/policy",
            },
        };

        using var response = await officer.PublishVersionAsync("infobird", new { version, changedPurposes = Array.Empty<string>(), announcement });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var versions = await officer.GetFromJsonAsync<List<JsonElement>>("/v1/policy-versions?policyId=infobird");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.Equals(field, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(versions!, v => v.GetProperty("version").GetString() == version);
    }
}
