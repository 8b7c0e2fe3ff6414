using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Consent.Tests;

/// <summary>Issue 20.4: a product backend reads the current policy version and its text. Publishes to infobird only.</summary>
public sealed class PolicyTextTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    private const int MaxLength = 50_000;

    private static string NewVersion() => $"v{Guid.NewGuid():N}"[..20];

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_product_backend_reads_the_current_version_with_its_text_in_both_languages()
    {
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        using var backend = factory.CreateProductBackendClient();
        var version = NewVersion();
        // An excerpt of the seeds' Infobird statement, long enough to hold line breaks and quotes, and its translation.
        var en = "# Privacy Policy\n\nInfobird Co., Ltd (\u201cInfobird\u201d) takes the protection of your privacy very seriously.\n\n"
            + "## I. What type of information do we collect\n\n1.1 In order to complete the registration and management of Infobird account…";
        var zhCn = "# 隐私政策\n\n讯鸟公司（“讯鸟”）非常重视您的隐私保护。\n\n## 一、我们收集哪些信息\n\n1.1 为完成讯鸟账号的注册和管理……";

        using var published = await officer.PublishVersionAsync("infobird",
            new { version, changedPurposes = new[] { "surveys" }, text = new { en, zhCn } });
        var current = await backend.GetFromJsonAsync<JsonElement>("/v1/policies/infobird/current");

        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.Equal("infobird", current.GetProperty("policyId").GetString());
        Assert.Equal(version, current.GetProperty("version").GetString());
        Assert.Equal(["surveys"], current.GetProperty("changedPurposes").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30), DateOnly.Parse(current.GetProperty("effectiveDate").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(current.GetProperty("publishedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.Equal(en, current.GetProperty("text").GetProperty("en").GetString());
        Assert.Equal(zhCn, current.GetProperty("text").GetProperty("zhCn").GetString());
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_text_at_the_limit_is_published_and_one_character_more_is_refused_naming_the_field()
    {
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var atLimit = NewVersion();
        var tooLong = NewVersion();
        // Chinese at the limit: the client escapes each character as \uXXXX, the largest body the route must take.
        var longest = new string('隐', MaxLength);

        using var accepted = await officer.PublishVersionAsync("infobird", new { version = atLimit, text = new { en = "Short.", zhCn = longest } });
        using var refused = await officer.PublishVersionAsync("infobird", new { version = tooLong, text = new { en = "Short.", zhCn = longest + "私" } });
        var problem = await refused.ProblemAsync(HttpStatusCode.BadRequest);
        var versions = await officer.GetFromJsonAsync<List<JsonElement>>("/v1/policy-versions?policyId=infobird");

        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.Equals("text.zhCn", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(versions!, v => v.GetProperty("version").GetString() == atLimit);
        Assert.DoesNotContain(versions!, v => v.GetProperty("version").GetString() == tooLong);
    }

    [Theory]
    [InlineData("missing", "text")]
    [InlineData("blank-english", "text.en")]
    [InlineData("no-english", "text")]
    [InlineData("blank-chinese", "text.zhCn")]
    [Trait("Issue", "20")]
    public async Task A_version_without_its_text_is_refused_naming_the_field_and_nothing_is_written(string flaw, string field)
    {
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer);
        using var backend = factory.CreateProductBackendClient();
        var version = NewVersion();
        var before = await backend.GetFromJsonAsync<JsonElement>("/v1/policies/infobird/current");
        object? text = flaw switch
        {
            "missing" => null,
            "no-english" => new { zhCn = "隐私政策" },
            "blank-english" => new { en = "", zhCn = "隐私政策" },
            _ => new { en = "Privacy Policy", zhCn = " \n\t " },
        };

        using var response = await officer.PublishVersionAsync("infobird", new { version, text });
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        var versions = await officer.GetFromJsonAsync<List<JsonElement>>("/v1/policy-versions?policyId=infobird");
        var after = await backend.GetFromJsonAsync<JsonElement>("/v1/policies/infobird/current");

        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.Equals(field, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(versions!, v => v.GetProperty("version").GetString() == version);
        Assert.Equal(before.GetProperty("version").GetString(), after.GetProperty("version").GetString());
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_version_published_before_texts_were_stored_answers_no_text_and_an_unknown_policy_is_404()
    {
        using var backend = factory.CreateProductBackendClient();

        // This class never publishes to iwalk-scooter: its current version is the seeded 1.0.
        var seeded = await backend.GetFromJsonAsync<JsonElement>("/v1/policies/iwalk-scooter/current");
        using var unknown = await backend.GetAsync("/v1/policies/no-such-policy/current");

        Assert.Equal("1.0", seeded.GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.Null, seeded.GetProperty("text").ValueKind);
        Assert.Equal(JsonValueKind.Null, seeded.GetProperty("effectiveDate").ValueKind);
        var problem = await unknown.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("no-such-policy", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
