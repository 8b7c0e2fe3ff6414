using System.Net;
using System.Net.Http.Json;

namespace PrivacySuite.Consent.Tests;

public sealed class SubjectTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    [Fact]
    [Trait("Clause", "IWK-3.1")]
    public async Task Consent_for_a_minor_without_a_guardian_is_refused_with_the_reason()
    {
        using var client = factory.CreateProductBackendClient();
        var minor = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(16));

        using var refused = await client.GrantAsync(minor, "iwalk.service.provide");
        var problem = await refused.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        var check = await client.CheckAsync(minor, "iwalk.service.provide");

        Assert.Equal("guardian-consent-required", problem.GetProperty("reason").GetString());
        Assert.Contains("guardian", problem.GetProperty("detail").GetString());
        Assert.Contains("18", problem.GetProperty("detail").GetString());
        Assert.False(check.Allowed);
        Assert.Equal("no-consent", check.Reason);
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    public async Task Consent_for_a_minor_with_a_verified_guardian_is_accepted_and_recorded()
    {
        using var client = factory.CreateProductBackendClient();
        var minor = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(12));

        var guardian = await factory.GuardianForAsync(client, minor);

        await client.GrantOkAsync(minor, "iwalk.service.provide", guardian: guardian);
        var check = await client.CheckAsync(minor, "iwalk.service.provide");
        var consents = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/subjects/{minor}/consents");

        Assert.True(check.Allowed);
        Assert.True(consents.GetProperty("subject").GetProperty("needsGuardianConsent").GetBoolean());
        Assert.Equal(guardian.GuardianId, consents.GetProperty("consents")[0].GetProperty("guardianId").GetString());
        Assert.Equal(guardian.VerificationId, consents.GetProperty("consents")[0].GetProperty("guardianVerificationId").GetGuid());
        Assert.Equal(guardian.VerificationId, consents.GetProperty("history")[0].GetProperty("guardianVerificationId").GetGuid());
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    public async Task An_adult_consents_without_a_guardian_and_an_age_band_under_18_counts_as_a_minor()
    {
        using var client = factory.CreateProductBackendClient();
        var adult = await client.RegisterAsync("iwalk-scooter", Api.BornYearsAgo(18));
        var banded = await client.RegisterAsync("iwalk-scooter", ageBand: "14-17");

        using var adultGrant = await client.GrantAsync(adult, "iwalk.service.provide");
        using var bandedGrant = await client.GrantAsync(banded, "iwalk.service.provide");

        Assert.Equal(HttpStatusCode.Created, adultGrant.StatusCode);
        await bandedGrant.ProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Registering_the_same_subject_twice_is_a_conflict_and_keeps_the_first()
    {
        using var client = factory.CreateProductBackendClient();
        var id = Api.NewSubjectId();
        using var first = await client.PostAsJsonAsync("/v1/subjects", new { subjectId = id, policyId = "infobird", birthDate = "1990-01-01" });

        using var second = await client.PostAsJsonAsync("/v1/subjects", new { subjectId = id, policyId = "iwalk-scooter", birthDate = "2015-01-01" });
        var consents = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/subjects/{id}/consents");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await second.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("infobird", consents.GetProperty("subject").GetProperty("policyId").GetString());
        Assert.False(consents.GetProperty("subject").GetProperty("needsGuardianConsent").GetBoolean());
    }

    public static TheoryData<string> BadRegistrations => new()
    {
        """{"subjectId":"someone@example.com","policyId":"infobird","birthDate":"1990-01-01"}""",
        """{"subjectId":"ok-1","policyId":"infobird"}""",
        """{"subjectId":"ok-1","policyId":"infobird","birthDate":"2999-01-01"}""",
        """{"subjectId":"ok-1","policyId":"infobird","birthDate":"not-a-date"}""",
        """{"subjectId":"ok-1","policyId":"infobird","ageBand":"teen"}""",
        """{"subjectId":"","policyId":"infobird","birthDate":"1990-01-01"}""",
        """{"policyId":"infobird","birthDate":"1990-01-01"}""",
        """{"subjectId":"ok-1","policyId":"infobird","birthDate":"1990-01-01""",
        """[]""",
    };

    [Theory]
    [MemberData(nameof(BadRegistrations))]
    public async Task Bad_registration_is_a_400_problem_and_registers_nothing(string body)
    {
        using var client = factory.CreateProductBackendClient();

        using var response = await client.PostAsync("/v1/subjects", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        using var lookup = await client.GetAsync("/v1/subjects/ok-1/consents");

        await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task Unknown_policy_is_refused_with_422()
    {
        using var client = factory.CreateProductBackendClient();

        using var response = await client.PostAsJsonAsync("/v1/subjects", new { subjectId = Api.NewSubjectId(), policyId = "no-such-policy", birthDate = "1990-01-01" });

        await response.ProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task People_without_the_product_backend_role_cannot_register_subjects()
    {
        using var client = factory.CreateClientFor(ServiceDefaults.Auth.SuiteRoles.Subject);

        using var response = await client.PostAsJsonAsync("/v1/subjects", new { subjectId = Api.NewSubjectId(), policyId = "infobird", birthDate = "1990-01-01" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
