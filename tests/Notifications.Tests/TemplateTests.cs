using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using PrivacySuite.Contracts;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

public sealed class TemplateTests(NotificationsFactory factory) : IClassFixture<NotificationsFactory>
{
    [Fact]
    public async Task Every_notice_type_has_a_template_in_Chinese_and_English()
    {
        using var client = factory.CreateProductBackendClient();

        var templates = await client.GetFromJsonAsync<TemplateView[]>("/v1/templates");

        Assert.Equal(NoticeTypes.All.Order(), templates!.Select(t => t.NoticeType).Order());
        Assert.All(templates!, t => Assert.Equal(["zh-CN", "en"], t.Languages));
    }

    [Fact]
    [Trait("Clause", "IWK-2.8")]
    public async Task Incident_preview_has_the_five_parts_and_security_advice_in_each_language()
    {
        using var client = factory.CreateClientFor(SuiteRoles.OnCall);

        var zh = await PreviewAsync(client, "incident-notice", "zh-CN", TestHelpers.IncidentVariables());
        var en = await PreviewAsync(client, "incident-notice", "en", TestHelpers.IncidentVariables());

        foreach (var part in new[] { "一、事件情况", "二、可能的影响", "三、我们已采取的处置措施", "四、您可以自主采取的措施", "五、补救措施", "安全建议" })
        {
            Assert.Contains(part, zh.Body);
        }

        foreach (var part in new[] { "What happened", "Possible impact", "Measures we have taken", "What you can do", "Remedies", "Security advice" })
        {
            Assert.Contains(part, en.Body);
        }

        foreach (var value in TestHelpers.IncidentVariables().Values)
        {
            Assert.Contains(value, zh.Body + zh.Subject);
            Assert.Contains(value, en.Body + en.Subject);
        }

        Assert.Equal("zh-CN", zh.Language);
        Assert.DoesNotContain("What happened", zh.Body);
        Assert.DoesNotContain("事件情况", en.Body);
    }

    [Fact]
    [Trait("Clause", "IWK-2.8")]
    public async Task Incident_notice_without_one_of_its_parts_is_refused_naming_the_part()
    {
        using var client = factory.CreateClientFor(SuiteRoles.OnCall);
        var variables = TestHelpers.IncidentVariables();
        variables.Remove("remedies");

        using var response = await client.PostAsJsonAsync("/v1/templates/incident-notice/preview", new { language = "en", variables });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.ProblemAsync();
        Assert.True(problem.GetProperty("errors").TryGetProperty("remedies", out _));
    }

    [Fact]
    public async Task Preview_without_a_language_shows_both_Chinese_first()
    {
        using var client = factory.CreateProductBackendClient();

        var both = await PreviewAsync(client, "policy-update", null, TestHelpers.PolicyVariables());

        Assert.Equal("zh-CN,en", both.Language);
        Assert.True(both.Body.IndexOf("隐私政策", StringComparison.Ordinal) < both.Body.IndexOf("privacy policy", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Clause", "IWK-2.6")]
    public async Task Termination_notice_less_than_30_days_ahead_is_refused()
    {
        using var client = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var soon = DateTime.UtcNow.AddDays(29).ToString("yyyy-MM-dd");
        var later = DateTime.UtcNow.AddDays(31).ToString("yyyy-MM-dd");
        Dictionary<string, string> Variables(string endDate) => new()
        {
            ["serviceName"] = "Example Shop",
            ["endDate"] = endDate,
            ["dataHandling"] = "Deleted within 15 days of the end.",
            ["exportUrl"] = "https://example.com/export",
        };

        using var tooSoon = await client.PostAsJsonAsync("/v1/templates/termination-notice/preview", new { language = "en", variables = Variables(soon) });
        var inTime = await PreviewAsync(client, "termination-notice", "zh-CN", Variables(later));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooSoon.StatusCode);
        Assert.Contains("30 days", (await tooSoon.ProblemAsync()).GetProperty("errors").GetProperty("variables")[0].GetString());
        Assert.Contains(later, inTime.Body);
    }

    [Fact]
    [Trait("Clause", "INF-5.3")]
    public async Task Merger_transfer_notice_must_come_before_the_transfer()
    {
        using var client = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        Dictionary<string, string> Variables(string date) => new()
        {
            ["recipient"] = "Example Holdings Ltd.",
            ["recipientContact"] = "privacy@holdings.example",
            ["transferDate"] = date,
            ["purposes"] = "Running the shop as before.",
        };

        using var afterTheFact = await client.PostAsJsonAsync("/v1/templates/merger-transfer-notice/preview",
            new { language = "en", variables = Variables(DateTime.UtcNow.ToString("yyyy-MM-dd")) });
        var ahead = await PreviewAsync(client, "merger-transfer-notice", "en", Variables(DateTime.UtcNow.AddDays(10).ToString("yyyy-MM-dd")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, afterTheFact.StatusCode);
        Assert.Contains("Example Holdings Ltd.", ahead.Body);
        Assert.Contains("before the transfer takes effect", ahead.Body);
    }

    [Theory]
    [InlineData("verification-code", """{"code":"12ab","expiresInMinutes":"10"}""", "code")]
    [InlineData("verification-code", """{"code":"123456","expiresInMinutes":"10","extra":"x"}""", "extra")]
    [InlineData("deletion-certificate", """{"certificateId":"c-1","erasedAt":"20 Nov","outcome":"erased","categories":"Identity","regions":"Beijing","verifyUrl":"https://example.com/v"}""", "erasedAt")]
    [InlineData("deletion-certificate", """{"certificateId":"c-1","erasedAt":"2026-11-20","outcome":"erased","categories":"Identity","regions":"Beijing","verifyUrl":"javascript:alert(1)"}""", "verifyUrl")]
    [InlineData("disclosure-notice", """{"authority":"{code}","legalBasis":"x","categories":"y","disclosedAt":"2026-11-20"}""", "authority")]
    public async Task Variables_that_do_not_fit_are_refused_by_name(string noticeType, string variablesJson, string named)
    {
        using var client = factory.CreateProductBackendClient();
        var variables = JsonSerializer.Deserialize<Dictionary<string, string>>(variablesJson);

        using var response = await client.PostAsJsonAsync($"/v1/templates/{noticeType}/preview", new { language = "en", variables });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.ProblemAsync()).GetProperty("errors").TryGetProperty(named, out _));
    }

    [Fact]
    public async Task Preview_of_an_unknown_type_or_language_is_a_client_error()
    {
        using var client = factory.CreateProductBackendClient();

        using var unknownType = await client.PostAsJsonAsync("/v1/templates/no-such-notice/preview", new { variables = new { } });
        using var unknownLanguage = await client.PostAsJsonAsync("/v1/templates/policy-update/preview",
            new { language = "fr", variables = TestHelpers.PolicyVariables() });
        using var malformed = await client.PostAsync("/v1/templates/policy-update/preview",
            new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, unknownType.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknownLanguage.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        await unknownType.ProblemAsync();
        await unknownLanguage.ProblemAsync();
    }

    [Fact]
    public async Task An_oversized_variable_is_refused_by_name()
    {
        using var client = factory.CreateProductBackendClient();
        var variables = TestHelpers.PolicyVariables();
        variables["summary"] = new string('x', 2001);

        using var response = await client.PostAsJsonAsync("/v1/templates/policy-update/preview", new { language = "en", variables });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("2000", (await response.ProblemAsync()).GetProperty("errors").GetProperty("summary")[0].GetString());
    }

    [Fact]
    public async Task Templates_need_a_caller()
    {
        using var anonymous = factory.CreateClient();

        using var response = await anonymous.PostAsJsonAsync("/v1/templates/policy-update/preview", new { variables = TestHelpers.PolicyVariables() });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static async Task<PreviewView> PreviewAsync(HttpClient client, string type, string? language, Dictionary<string, string> variables)
    {
        using var response = await client.PostAsJsonAsync($"/v1/templates/{type}/preview", new { language, variables });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PreviewView>())!;
    }
}
