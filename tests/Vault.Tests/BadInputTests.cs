using System.Text;

namespace PrivacySuite.Vault.Tests;

/// <summary>Issue 18, item 9: the vault's own examples of input that once changed meaning or was taken whole.</summary>
public sealed class BadInputTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    [Trait("Clause", "IWK-3.2")]
    public async Task A_profile_without_isMinor_is_refused_and_the_minor_stays_marked()
    {
        using var client = factory.Backend();
        using var marked = await client.PutAsJsonAsync("/v1/subjects/bad-minor-1/profile", new { isMinor = true, guardianSubjectId = "guardian-9" });

        using var missing = await client.PutAsJsonAsync("/v1/subjects/bad-minor-1/profile", new { guardianSubjectId = "guardian-9" });
        using var asNumber = await client.PutAsJsonAsync("/v1/subjects/bad-minor-1/profile", new { isMinor = 0 });
        using var asText = await client.PutAsJsonAsync("/v1/subjects/bad-minor-1/profile", new { isMinor = "false" });

        Assert.Equal(HttpStatusCode.OK, marked.StatusCode);
        foreach (var response in new[] { missing, asNumber, asText })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var subject = await factory.WithDbAsync(db => db.Subjects.AsNoTracking().SingleAsync(s => s.SubjectId == "bad-minor-1"));
        Assert.True(subject.IsMinor);
    }

    [Fact]
    [Trait("Clause", "INF-5.4")]
    public async Task A_disclosure_that_does_not_say_whether_to_tell_the_subject_is_refused_and_nothing_is_disclosed()
    {
        await factory.StoreAsync("bad-disc-1", "contact", new { phone = "+86 137 0000 0009" });
        using var officer = factory.Officer();
        var before = await factory.AccessLogHeadAsync();

        using var response = await officer.PostAsJsonAsync("/v1/subjects/bad-disc-1/disclosures", new
        {
            authority = "Haidian District Public Security Bureau",
            legalReference = "HD-2026-0999",
            basis = "criminal-investigation",
            categories = new[] { "contact" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("notifySubject", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await factory.AccessLogHeadAsync());
    }

    [Fact]
    public async Task A_ten_megabyte_body_is_refused_with_413_before_it_is_read()
    {
        using var client = factory.Backend();
        var huge = "{\"category\":\"contact\",\"source\":\"provided\",\"fields\":{\"email\":\"" + new string('a', 10 * 1024 * 1024) + "\"}}";

        using var response = await client.PostAsync("/v1/subjects/bad-huge-1/data", new StringContent(huge, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "bad-huge-1")));
    }

    [Fact]
    public async Task OpenApi_says_which_fields_must_be_sent()
    {
        using var client = factory.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var schemas = document.GetProperty("components").GetProperty("schemas");
        string[] Required(string schema) => schemas.GetProperty(schema).TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];

        Assert.Contains("isMinor", Required("ProfileRequest"));
        Assert.DoesNotContain("guardianSubjectId", Required("ProfileRequest"));
        Assert.Contains("notifySubject", Required("DisclosureRequest"));
    }
}
