using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace PrivacySuite.Consent.Tests;

public sealed class CatalogueTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    private static async Task<List<JsonElement>> PurposesAsync(HttpClient client, string? policyId = null)
    {
        using var response = await client.GetAsync(policyId is null ? "/v1/purposes" : $"/v1/purposes?policyId={policyId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<List<JsonElement>>())!;
    }

    [Fact]
    [Trait("Clause", "INF-4.1")]
    public async Task Catalogue_lists_the_policy_purposes_with_names_in_both_languages_and_essential_marks()
    {
        using var client = factory.CreateProductBackendClient();

        var purposes = (await PurposesAsync(client, "infobird")).ToDictionary(p => p.GetProperty("code").GetString()!);

        // INF-4.1: provide the service; personalisation; optimisation; protection; relevant offers; surveys.
        Assert.Superset(
            new HashSet<string> { "service.provide", "personalisation", "service.optimisation", "protection", "offers.relevant", "surveys" },
            purposes.Keys.ToHashSet());
        Assert.True(purposes["service.provide"].GetProperty("essential").GetBoolean());
        Assert.True(purposes["protection"].GetProperty("essential").GetBoolean());
        Assert.False(purposes["personalisation"].GetProperty("essential").GetBoolean());
        Assert.False(purposes["surveys"].GetProperty("essential").GetBoolean());
        foreach (var purpose in purposes.Values)
        {
            Assert.False(string.IsNullOrWhiteSpace(purpose.GetProperty("names").GetProperty("en").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(purpose.GetProperty("names").GetProperty("zhCn").GetString()));
            Assert.NotEmpty(purpose.GetProperty("dataCategories").EnumerateArray());
            Assert.Equal("1.0", purpose.GetProperty("changedInVersion").GetString());
        }

        Assert.Contains("Location", purposes["personalisation"].GetProperty("dataCategories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("SafeOperation", purposes["protection"].GetProperty("defaultBasis").GetString());
    }

    [Fact]
    [Trait("Clause", "INF-4.1")]
    public async Task Both_policies_purposes_are_in_the_catalogue()
    {
        using var client = factory.CreateProductBackendClient();

        var purposes = await PurposesAsync(client);

        Assert.Contains(purposes, p => p.GetProperty("policyId").GetString() == "infobird");
        Assert.Contains(purposes, p => p.GetProperty("code").GetString() == "iwalk.transaction-security" && p.GetProperty("essential").GetBoolean());
    }

    [Fact]
    [Trait("Clause", "INF-5.1")]
    public async Task Sharing_with_a_third_party_is_a_purpose_of_its_own_that_needs_separate_consent()
    {
        using var client = factory.CreateProductBackendClient();

        var sharing = (await PurposesAsync(client, "infobird")).Single(p => p.GetProperty("code").GetString() == "sharing.third-party");

        Assert.Equal("non-affiliated third party", sharing.GetProperty("thirdPartyRecipient").GetString());
        Assert.True(sharing.GetProperty("separateConsent").GetBoolean());
        Assert.False(sharing.GetProperty("essential").GetBoolean());
        Assert.Equal("Consent", sharing.GetProperty("defaultBasis").GetString());
    }

    [Fact]
    [Trait("Clause", "INF-5.1")]
    public async Task Sharing_is_denied_until_the_subject_consents_to_it_expressly()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "service.provide");

        var before = await client.CheckAsync(subject, "sharing.third-party");
        await client.GrantOkAsync(subject, "sharing.third-party");
        var after = await client.CheckAsync(subject, "sharing.third-party");

        Assert.False(before.Allowed);
        Assert.Equal("no-consent", before.Reason);
        Assert.True(after.Allowed);
        Assert.Equal("Consent", after.Basis);
    }

    [Theory]
    [Trait("Clause", "IWK-2.4")]
    [InlineData("infobird", "transfer.cross-border", "iwalk.transfer.cross-border")]
    [InlineData("iwalk-scooter", "iwalk.transfer.cross-border", "transfer.cross-border")]
    public async Task Each_policy_has_a_cross_border_purpose_its_subjects_can_grant_separately(string policyId, string own, string other)
    {
        using var client = factory.CreateProductBackendClient();
        var purpose = (await PurposesAsync(client, policyId)).Single(p => p.GetProperty("code").GetString() == own);
        var subject = await client.RegisterAsync(policyId);

        var before = await client.CheckAsync(subject, own);
        using var ofAnotherPolicy = await client.GrantAsync(subject, other);
        // Only the subject's consent allows a transfer abroad: no other basis can be recorded for it.
        using var byContract = await client.GrantAsync(subject, own, legalBasis: "ContractNecessity", basisReference: "contract-7");
        var stillNot = await client.CheckAsync(subject, own);
        await client.GrantOkAsync(subject, own);
        var after = await client.CheckAsync(subject, own);

        // PIPL Art. 39: separate consent, never an essential purpose, never allowed by default.
        Assert.True(purpose.GetProperty("separateConsent").GetBoolean());
        Assert.False(purpose.GetProperty("essential").GetBoolean());
        Assert.Equal("Consent", purpose.GetProperty("defaultBasis").GetString());
        Assert.Equal(["Contact", "Device", "Identity", "Usage"], purpose.GetProperty("dataCategories").EnumerateArray().Select(c => c.GetString()).Order());
        Assert.False(before.Allowed);
        Assert.Equal("no-consent", before.Reason);
        Assert.Equal("purpose-of-another-policy", (await ofAnotherPolicy.ProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("reason").GetString());
        Assert.Equal("separate-consent-required", (await byContract.ProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("reason").GetString());
        Assert.False(stillNot.Allowed);
        Assert.True(after.Allowed);
        Assert.Equal("consent-granted", after.Reason);
    }

    [Fact]
    public async Task Catalogue_needs_a_caller()
    {
        using var anonymous = factory.CreateClient();

        using var response = await anonymous.GetAsync("/v1/purposes");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
