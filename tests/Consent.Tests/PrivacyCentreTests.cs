using System.Net;
using System.Net.Http.Json;

namespace PrivacySuite.Consent.Tests;

/// <summary>
/// A person signed in at the privacy centre, with the token it minted for them: they read what they are asked to agree
/// to and act on their own consents, and on nobody else's.
/// </summary>
public sealed class PrivacyCentreTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.5")]
    [Trait("Issue", "20")]
    public async Task A_person_withdraws_and_gives_again_their_own_consent_and_the_check_follows()
    {
        using var backend = factory.CreateProductBackendClient();
        var person = await backend.RegisterAsync("infobird");
        await backend.GrantOkAsync(person, "offers.relevant");
        using var centre = factory.CreatePrivacyCentreClient(person);

        using var withdrawn = await centre.DeleteAsync($"/v1/subjects/{person}/consents/offers.relevant");
        var afterWithdrawal = await backend.CheckAsync(person, "offers.relevant");
        var decided = await centre.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/subjects/{person}/consents");
        using var again = await centre.PostAsJsonAsync($"/v1/subjects/{person}/consents",
            new { purpose = "offers.relevant", policyVersion = "1.0", collectionMethod = "privacy-centre", jurisdiction = "CN" });
        var afterConsent = await backend.CheckAsync(person, "offers.relevant");
        var consents = await centre.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/subjects/{person}/consents");

        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.False(afterWithdrawal.Allowed);
        // Each purpose of the policy with what the check answers now, and the version to show when asking again.
        var offers = decided.GetProperty("decisions").EnumerateArray().Single(d => d.GetProperty("purpose").GetString() == "offers.relevant");
        Assert.Equal(("consent-withdrawn", false, "1.0"),
            (offers.GetProperty("reason").GetString(), offers.GetProperty("allowed").GetBoolean(), offers.GetProperty("policyVersion").GetString()));
        Assert.Contains(decided.GetProperty("decisions").EnumerateArray(), d => d.GetProperty("purpose").GetString() == "protection" &&
            d.GetProperty("reason").GetString() == "legal-basis");
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.True(afterConsent.Allowed);
        // The history says who acted: the person themselves.
        var last = consents.GetProperty("history").EnumerateArray().Last();
        Assert.Equal(person, last.GetProperty("actor").GetString());
        Assert.Equal("privacy-centre", last.GetProperty("collectionMethod").GetString());
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    [Trait("Issue", "20")]
    public async Task A_person_cannot_see_or_change_someone_elses_consents_and_nothing_changes()
    {
        using var backend = factory.CreateProductBackendClient();
        var other = await backend.RegisterAsync("infobird");
        await backend.GrantOkAsync(other, "offers.relevant");
        using var centre = factory.CreatePrivacyCentreClient(await backend.RegisterAsync("infobird"));

        using var read = await centre.GetAsync($"/v1/subjects/{other}/consents");
        using var withdraw = await centre.DeleteAsync($"/v1/subjects/{other}/consents/offers.relevant");
        using var grant = await centre.PostAsJsonAsync($"/v1/subjects/{other}/consents",
            new { purpose = "offers.relevant", policyVersion = "1.0", collectionMethod = "privacy-centre", jurisdiction = "CN" });

        foreach (var response in new[] { read, withdraw, grant })
        {
            var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
            Assert.Equal("not-your-data", problem.GetProperty("reason").GetString());
        }

        Assert.True((await backend.CheckAsync(other, "offers.relevant")).Allowed);
    }

    [Fact]
    [Trait("Clause", "IWK-1.3")]
    [Trait("Issue", "20")]
    public async Task A_person_consents_but_records_no_legal_basis_and_nothing_is_written()
    {
        using var backend = factory.CreateProductBackendClient();
        var person = await backend.RegisterAsync("infobird");
        using var centre = factory.CreatePrivacyCentreClient(person);

        using var refused = await centre.GrantAsync(person, "offers.relevant", legalBasis: "VitalInterests", basisReference: "case-1");
        var consents = await backend.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/subjects/{person}/consents");

        Assert.Equal("basis-not-yours", (await refused.ProblemAsync(HttpStatusCode.Forbidden)).GetProperty("reason").GetString());
        Assert.Equal(0, consents.GetProperty("consents").GetArrayLength());
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "20")]
    public async Task A_guardian_sees_the_minors_in_their_care_and_acting_for_one_consents_only_as_themselves()
    {
        using var backend = factory.CreateProductBackendClient();
        var minor = await backend.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(12));
        var guardian = await factory.GuardianForAsync(backend, minor);
        await backend.GrantOkAsync(minor, "iwalk.service.provide", guardian: guardian);
        await backend.GrantOkAsync(minor, "iwalk.personalisation", guardian: factory.Vault.Issue(guardian.GuardianId, minor));
        using var asGuardian = factory.CreatePrivacyCentreClient(guardian.GuardianId);

        var wards = await asGuardian.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/subjects/{guardian.GuardianId}/wards");
        using var othersWards = await asGuardian.GetAsync($"/v1/subjects/{minor}/wards");
        Assert.Equal(minor, wards.EnumerateArray().Single().GetProperty("subjectId").GetString());
        Assert.True(wards[0].GetProperty("needsGuardianConsent").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, othersWards.StatusCode);

        // Acting for the minor (the centre's token for the minor, the guardian its actor), a consent naming another
        // guardian is refused before anything is written; a withdrawal is recorded as the guardian's.
        using var withdrawnBefore = await asGuardian.DeleteAsync($"/v1/subjects/{minor}/consents/iwalk.personalisation");
        using var acting = factory.CreatePrivacyCentreClient(minor, actor: guardian.GuardianId);
        using var withdrawn = await acting.DeleteAsync($"/v1/subjects/{minor}/consents/iwalk.personalisation");
        using var asSomeoneElse = await acting.PostAsJsonAsync($"/v1/subjects/{minor}/consents", new
        {
            purpose = "iwalk.personalisation", policyVersion = "1.0", collectionMethod = "privacy-centre", jurisdiction = "CN",
            guardian = new { guardianId = "someone-else", verificationId = guardian.VerificationId, code = "123456" },
        });
        var history = (await backend.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/subjects/{minor}/consents")).GetProperty("history");

        // The guardian's own token names the guardian: the minor's consents are not theirs to change that way.
        Assert.Equal(HttpStatusCode.Forbidden, withdrawnBefore.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.Equal("guardian-must-be-you", (await asSomeoneElse.ProblemAsync(HttpStatusCode.Forbidden)).GetProperty("reason").GetString());
        var last = history.EnumerateArray().Last();
        Assert.Equal(("iwalk.personalisation", "withdrawn", guardian.GuardianId),
            (last.GetProperty("purpose").GetString(), last.GetProperty("action").GetString(), last.GetProperty("actor").GetString()));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_person_reads_the_purposes_and_the_policy_text_they_agree_to_but_registers_nobody()
    {
        using var centre = factory.CreatePrivacyCentreClient(Api.NewSubjectId());

        using var purposes = await centre.GetAsync("/v1/purposes?policyId=infobird");
        using var policy = await centre.GetAsync("/v1/policies/infobird/current");
        using var register = await centre.PostAsJsonAsync("/v1/subjects", new { subjectId = Api.NewSubjectId(), policyId = "infobird", birthDate = "1990-01-01" });
        using var check = await centre.GetAsync("/v1/consents/check?subjectId=x&purpose=offers.relevant");

        Assert.Equal(HttpStatusCode.OK, purposes.StatusCode);
        Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, register.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, check.StatusCode);
    }
}
