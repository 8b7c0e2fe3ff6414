using System.Text.RegularExpressions;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Issue 18.3, "guardians are real", through the real consent service and the real vault: a guardian is a registered
/// adult other than the minor, proved by a one-time code the vault sent to the guardian's own verified contact, and
/// spent when the consent is recorded. Each test tries one attack and fails if it works: the grant is refused, the
/// minor's check stays denied, and what the attack could not use is not spent either.
/// </summary>
public sealed class GuardianTests(ConsentFlowFactory factory) : IClassFixture<ConsentFlowFactory>
{
    private const string Purpose = "iwalk.service.provide";

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task A_thirteen_year_old_with_a_real_code_is_not_accepted_as_a_fifteen_year_olds_guardian()
    {
        var minor = await RegisterAsync(Age(15));
        var thirteen = await RegisterAsync(Age(13));
        var banded = await RegisterAsync(null, "14-17"); // a band that does not prove 18
        var (thirteenId, thirteenCode) = await GuardianCodeAsync(thirteen, minor);
        var (bandedId, bandedCode) = await GuardianCodeAsync(banded, minor);

        using var byThirteen = await GrantAsync(minor, new { guardianId = thirteen, verificationId = thirteenId, code = thirteenCode });
        using var byBand = await GrantAsync(minor, new { guardianId = banded, verificationId = bandedId, code = bandedCode });

        Assert.Equal("guardian-not-adult", await ReasonAsync(byThirteen, HttpStatusCode.UnprocessableEntity));
        Assert.Equal("guardian-not-adult", await ReasonAsync(byBand, HttpStatusCode.UnprocessableEntity));
        await AssertDeniedAsync(minor);
        // Refused before the vault was asked: the codes are not spent.
        Assert.Null(await UsedAtAsync(thirteenId));
        Assert.Null(await UsedAtAsync(bandedId));
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task A_minor_is_not_accepted_as_its_own_guardian()
    {
        var minor = await RegisterAsync(Age(15));
        await factory.VerifyContactAsync(minor);
        using var vault = factory.Backend();

        using var started = await vault.PostAsJsonAsync($"/v1/subjects/{minor}/guardian-verifications", new { minorSubjectId = minor });
        using var granted = await GrantAsync(minor, new { guardianId = minor, verificationId = Guid.NewGuid(), code = "123456" });

        Assert.Equal("guardian-is-subject", await ReasonAsync(started, HttpStatusCode.UnprocessableEntity));
        Assert.Equal("guardian-is-subject", await ReasonAsync(granted, HttpStatusCode.UnprocessableEntity));
        Assert.False(await factory.WithDbAsync(db => db.Verifications.AnyAsync(v => v.SubjectId == minor && v.Request == "guardianship")));
        await AssertDeniedAsync(minor);
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task A_guardian_the_consent_service_does_not_know_is_refused_even_with_a_real_code()
    {
        var minor = await RegisterAsync(Age(10));
        var stranger = $"unregistered-{Guid.NewGuid():N}"; // has a verified contact in the vault, no registration
        var (id, code) = await GuardianCodeAsync(stranger, minor);

        using var granted = await GrantAsync(minor, new { guardianId = stranger, verificationId = id, code });

        Assert.Equal("guardian-unknown", await ReasonAsync(granted, HttpStatusCode.UnprocessableEntity));
        await AssertDeniedAsync(minor);
        Assert.Null(await UsedAtAsync(id));
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task Wrong_expired_reused_and_another_minors_codes_do_not_verify_a_guardian()
    {
        var minor = await RegisterAsync(Age(12));
        var sibling = await RegisterAsync(Age(9));
        var parent = await RegisterAsync(Age(40));
        var (id, code) = await GuardianCodeAsync(parent, minor);
        var (expiredId, expiredCode) = await GuardianCodeAsync(parent, minor);
        await factory.ExecuteSqlAsync($"update verifications set expires_at = now() - interval '1 second' where verification_id = '{expiredId}'");

        using var wrong = await GrantAsync(minor, new { guardianId = parent, verificationId = id, code = code == "000000" ? "111111" : "000000" });
        using var expired = await GrantAsync(minor, new { guardianId = parent, verificationId = expiredId, code = expiredCode });
        using var forSibling = await GrantAsync(sibling, new { guardianId = parent, verificationId = id, code });

        Assert.Equal(("guardian-not-verified", "wrong-code"), await FailureAsync(wrong));
        Assert.Equal(("guardian-not-verified", "verification-expired"), await FailureAsync(expired));
        Assert.Equal(("guardian-not-verified", "unknown-verification"), await FailureAsync(forSibling));
        await AssertDeniedAsync(minor);
        await AssertDeniedAsync(sibling);

        // The right code, for the minor it was sent for, verifies once; sent again (another purpose) it is used.
        using var granted = await GrantAsync(minor, new { guardianId = parent, verificationId = id, code });
        using var reused = await GrantAsync(minor, new { guardianId = parent, verificationId = id, code }, "iwalk.personalisation");

        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        Assert.Equal(("guardian-not-verified", "verification-used"), await FailureAsync(reused));
        await AssertDeniedAsync(minor, "iwalk.personalisation");
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "18")]
    public async Task No_code_is_sent_for_a_guardian_without_a_verified_contact_nor_asked_by_another_person()
    {
        var minor = await RegisterAsync(Age(11));
        var unverified = $"unverified-{Guid.NewGuid():N}";
        await factory.StoreAsync(unverified, "contact", new { email = $"{unverified}@example.cn" }); // stored, never proved
        var unknown = $"unknown-{Guid.NewGuid():N}";
        var verified = $"verified-{Guid.NewGuid():N}";
        await factory.VerifyContactAsync(verified);
        using var vault = factory.Backend();
        using var someoneElse = factory.CreateClientFor(SuiteRoles.Subject, minor);
        using var themselves = factory.CreateClientFor(SuiteRoles.Subject, verified);
        var outbox = (await factory.OutboxAsync()).Count;

        using var noContact = await vault.PostAsJsonAsync($"/v1/subjects/{unverified}/guardian-verifications", new { minorSubjectId = minor });
        using var noSubject = await vault.PostAsJsonAsync($"/v1/subjects/{unknown}/guardian-verifications", new { minorSubjectId = minor });
        using var notTheirs = await someoneElse.PostAsJsonAsync($"/v1/subjects/{verified}/guardian-verifications", new { minorSubjectId = minor });

        Assert.Equal("no-verified-contact", await ReasonAsync(noContact, HttpStatusCode.Conflict));
        Assert.Equal("unknown-subject", await ReasonAsync(noSubject, HttpStatusCode.NotFound));
        Assert.Equal("not-your-data", await ReasonAsync(notTheirs, HttpStatusCode.Forbidden));
        Assert.Equal(outbox, (await factory.OutboxAsync()).Count); // no notice, so no code

        // The guardian themselves, with their own token, may ask.
        using var own = await themselves.PostAsJsonAsync($"/v1/subjects/{verified}/guardian-verifications", new { minorSubjectId = minor });
        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Clause", "IWK-3.2")]
    [Trait("Issue", "18")]
    public async Task A_verified_adult_guardians_consent_is_recorded_with_its_verification_and_the_code_is_kept_nowhere()
    {
        var minor = await RegisterAsync(Age(14));
        var parent = await RegisterAsync(Age(38));
        var (id, code) = await GuardianCodeAsync(parent, minor);
        var notice = (await factory.OutboxAsync()).Single(m => m.Payload.Contains(id.ToString(), StringComparison.Ordinal));
        Assert.Contains("\"guardian-verification-code\"", notice.Payload, StringComparison.Ordinal);

        using var granted = await GrantAsync(minor, new { guardianId = parent, verificationId = id, code });

        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        using var consent = factory.RealConsent.CreateProductBackendClient();
        var check = await consent.GetFromJsonAsync<JsonElement>($"/v1/consents/check?subjectId={minor}&purpose={Purpose}");
        Assert.True(check.GetProperty("allowed").GetBoolean(), check.ToString());
        var record = (await consent.GetFromJsonAsync<JsonElement>($"/v1/subjects/{minor}/consents")).GetProperty("consents")[0];
        Assert.Equal(parent, record.GetProperty("guardianId").GetString());
        Assert.Equal(id, record.GetProperty("guardianVerificationId").GetGuid());
        Assert.NotNull(await UsedAtAsync(id));

        // The code passed through one request to consent and one to the vault: no table (outboxes included) or log has it.
        var places = new Dictionary<string, string>
        {
            ["consent logs"] = string.Join('\n', factory.RealConsent.Logs),
            ["vault logs"] = string.Join('\n', factory.Logs),
            ["the grant's answer"] = await granted.Content.ReadAsStringAsync(),
        };
        foreach (var (table, text) in await DatabaseSnapshot.TablesAsTextAsync(factory.RealConsent.DatabaseConnectionString))
        {
            places[$"consent table {table}"] = text;
        }

        foreach (var (table, text) in await DatabaseSnapshot.TablesAsTextAsync(factory.DatabaseConnectionString))
        {
            places[$"vault table {table}"] = text;
        }

        // The control: what is scanned holds the verification the code belongs to.
        Assert.Contains(id.ToString(), places["consent table consents"], StringComparison.Ordinal);
        Assert.Contains(id.ToString(), places["vault table outbox_messages"], StringComparison.Ordinal);
        var needle = new Regex($"(?<![0-9]){code}(?![0-9])");
        Assert.All(places, place => Assert.False(needle.IsMatch(place.Value), $"{place.Key} holds the guardian's one-time code"));
    }

    private static DateOnly Age(int years) => DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-years).AddDays(-10);

    private async Task<string> RegisterAsync(DateOnly? birthDate, string? ageBand = null)
    {
        var subjectId = $"guardian-test-{Guid.NewGuid():N}";
        using var consent = factory.RealConsent.CreateProductBackendClient();
        using var registered = await consent.PostAsJsonAsync("/v1/subjects", new { subjectId, policyId = "iwalk-scooter", birthDate, ageBand });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        return subjectId;
    }

    /// <summary>What a product backend does for a minor's sign-up: the guardian's code, as the notification service fetches it to send.</summary>
    private async Task<(Guid Id, string Code)> GuardianCodeAsync(string guardianId, string minorSubjectId)
    {
        if (!await factory.WithDbAsync(db => db.VerifiedContacts.AnyAsync(c => c.SubjectId == guardianId)))
        {
            await factory.VerifyContactAsync(guardianId);
        }

        using var vault = factory.Backend();
        using var started = await vault.PostAsJsonAsync($"/v1/subjects/{guardianId}/guardian-verifications", new { minorSubjectId });
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"guardian verification answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}");
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        var (code, channels) = await factory.ReleaseCodeAsync(id);
        Assert.Equal([("email", $"{guardianId}@example.cn")], channels); // the guardian's own verified contact
        return (id, code);
    }

    private async Task<HttpResponseMessage> GrantAsync(string minor, object guardian, string purpose = Purpose)
    {
        using var consent = factory.RealConsent.CreateProductBackendClient();
        return await consent.PostAsJsonAsync($"/v1/subjects/{minor}/consents",
            new { purpose, policyVersion = "1.0", collectionMethod = "app-consent-screen", jurisdiction = "CN", guardian });
    }

    private async Task AssertDeniedAsync(string minor, string purpose = Purpose)
    {
        using var consent = factory.RealConsent.CreateProductBackendClient();
        var check = await consent.GetFromJsonAsync<JsonElement>($"/v1/consents/check?subjectId={minor}&purpose={purpose}");
        Assert.False(check.GetProperty("allowed").GetBoolean(), check.ToString());
    }

    private Task<DateTimeOffset?> UsedAtAsync(Guid verificationId) =>
        factory.WithDbAsync(db => db.Verifications.Where(v => v.VerificationId == verificationId).Select(v => v.UsedAt).SingleAsync());

    private static async Task<string?> ReasonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString();
    }

    private static async Task<(string?, string?)> FailureAsync(HttpResponseMessage response)
    {
        var reason = await ReasonAsync(response, HttpStatusCode.UnprocessableEntity);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (reason, problem.TryGetProperty("verificationFailure", out var failure) ? failure.GetString() : null);
    }
}
