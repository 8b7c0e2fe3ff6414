using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Client;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;
using Xunit.Abstractions;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Issue 21.3 (IWK-2.2, PIPL Art. 28-29): a scooter app reads a ride's route for its own purpose with the rider's separate
/// consent to location for that purpose and its own second factor (a step-up token signed with the key registered with
/// its API key); an officer's single-use approval stays for disclosures outside what the rider agreed to. With the real
/// consent service: the separate consent is given and withdrawn there.
/// </summary>
public sealed class SensitiveReadTests(ConsentFlowFactory factory, ITestOutputHelper output)
    : ConsentFlowTestBase(factory, output), IClassFixture<ConsentFlowFactory>
{
    private const string RidePurpose = "iwalk.service.provide";

    private string StepUp(string purpose, string? privateKey = null, string caller = DevCredentials.ProductBackendName, DateTimeOffset? now = null) =>
        StepUpToken.Create(caller, privateKey ?? Factory.Credentials.ProductBackendStepUpKey, purpose, now ?? DateTimeOffset.UtcNow);

    private static async Task<HttpResponseMessage> ReadAsync(HttpClient vault, string token, string purpose, string? stepUp, Guid? approvalId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detokenize")
        {
            Content = JsonContent.Create(new { tokens = new[] { token }, purpose, approvalId }),
        };
        if (stepUp is not null)
        {
            request.Headers.Add(StepUpToken.Header, stepUp);
        }

        return await vault.SendAsync(request);
    }

    private static async Task<string?> ReasonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString();

    private async Task<(string Subject, string Route)> RiderAsync(params string[] sensitiveCategories)
    {
        var subject = await RegisterAsync(new DateOnly(1993, 4, 2), "iwalk-scooter");
        using var consent = ConsentBackend();
        using var granted = await consent.PostAsJsonAsync($"/v1/subjects/{subject}/consents",
            new { purpose = RidePurpose, policyVersion = "1.0", collectionMethod = "app-onboarding", jurisdiction = "CN", sensitiveCategories });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var tokens = await Factory.StoreAsync(subject, "location", new { route = "39.9042,116.4074;39.9100,116.4200" }, "collected");
        return (subject, tokens["route"]);
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task A_ride_route_is_read_with_the_riders_separate_consent_and_the_callers_second_factor_until_the_rider_withdraws_it()
    {
        var (subject, route) = await RiderAsync("Location");
        using var vault = Factory.Backend();

        using var withoutSecondFactor = await ReadAsync(vault, route, RidePurpose, stepUp: null);
        Assert.Equal(HttpStatusCode.Forbidden, withoutSecondFactor.StatusCode);
        Assert.Equal("second-factor-required", await ReasonAsync(withoutSecondFactor));

        var stepUp = StepUp(RidePurpose);
        JsonElement read = default;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await ReadAsync(vault, route, RidePurpose, stepUp);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            read = await response.Content.ReadFromJsonAsync<JsonElement>();
            return true;
        }, Bound, "the route is read with the separate consent and the step-up token");
        Assert.Equal("39.9042,116.4074;39.9100,116.4200", read.GetProperty("values")[0].GetProperty("value").GetString());

        // The same token serves further reads within its lifetime, and each is in the access log.
        for (var i = 0; i < 3; i++)
        {
            using var again = await ReadAsync(vault, route, RidePurpose, stepUp);
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        var logged = await Factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == subject && a.Action == "read").ToListAsync());
        Assert.Equal(4, logged.Count(a => a.Outcome == "allowed" && a.Category == "location" && a.Purpose == RidePurpose));
        Assert.Contains(logged, a => a.Outcome == "denied" && a.Detail == "reason=second-factor-required");

        // The rider withdraws the separate consent to location and keeps the (essential) service.
        using var consent = ConsentBackend();
        using var withdrawn = await consent.DeleteAsync($"/v1/subjects/{subject}/consents/{RidePurpose}/sensitive-categories/location");
        var since = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        string? reason = null;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await ReadAsync(vault, route, RidePurpose, stepUp);
            reason = response.StatusCode == HttpStatusCode.Forbidden ? await ReasonAsync(response) : null;
            return reason is not null;
        }, Bound, "the withdrawal of the separate consent refuses the next reads");
        Output.WriteLine($"withdrawal of the separate consent refused reads after {since.ElapsedMilliseconds} ms");
        Assert.Equal("separate-consent-required", reason);

        var usage = await Factory.StoreAsync(subject, "usage", new { rides = "12" }, "collected");
        using var stillServed = await ReadAsync(vault, usage["rides"], RidePurpose, stepUp: null);
        Assert.Equal(HttpStatusCode.OK, stillServed.StatusCode); // the purpose itself stays
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task Without_the_separate_consent_only_an_officers_approval_of_one_read_discloses_a_sensitive_category()
    {
        var (subject, route) = await RiderAsync();
        using var vault = Factory.Backend();
        var stepUp = StepUp(RidePurpose);

        string? reason = null;
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await ReadAsync(vault, route, RidePurpose, stepUp);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            reason = await ReasonAsync(response);
            return reason != "consent-changing";
        }, Bound, "a settled answer");
        Assert.Equal("separate-consent-required", reason);

        using var officer = Factory.Officer();
        using var approved = await officer.PostAsJsonAsync("/v1/approvals",
            new { subjectId = subject, category = "location", purpose = RidePurpose, accessor = DevCredentials.ProductBackendName });
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var approvalId = (await approved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("approvalId").GetGuid();

        using var disclosed = await ReadAsync(vault, route, RidePurpose, stepUp: null, approvalId);
        using var reused = await ReadAsync(vault, route, RidePurpose, stepUp: null, approvalId);
        Assert.Equal(HttpStatusCode.OK, disclosed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reused.StatusCode);
        Assert.Equal("approval-required", await ReasonAsync(reused));
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public void The_highest_protection_level_is_what_the_consent_service_asks_a_separate_consent_for() =>
        Assert.Equal(
            SensitiveCategories.All.Select(c => c.ToString().ToLowerInvariant()).Order(),
            PrivacySuite.Vault.Model.Categories.Levels.Where(l => l.Value == PrivacySuite.Vault.Model.ProtectionLevel.High).Select(l => l.Key).Order());

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task A_step_up_token_is_refused_unless_it_is_the_callers_own_for_this_purpose_and_alive()
    {
        var (_, route) = await RiderAsync("Location");
        using var vault = Factory.Backend();
        var now = DateTimeOffset.UtcNow;
        var refused = new Dictionary<string, string>
        {
            ["signed with another key"] = StepUp(RidePurpose, privateKey: SuiteTokens.NewKeyPair().PrivateKey),
            ["for another purpose"] = StepUp("iwalk.personalisation"),
            ["naming another caller"] = StepUp(RidePurpose, caller: "another-backend"),
            ["expired"] = StepUp(RidePurpose, now: now.AddMinutes(-6)),
            ["a person's bearer token"] = Factory.Credentials.IssueToken(DevCredentials.ProductBackendName, [SuiteRoles.ProductBackend]),
            ["not a token"] = "not-a-token",
        };

        foreach (var (what, token) in refused)
        {
            using var response = await ReadAsync(vault, route, RidePurpose, token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {(int)response.StatusCode}");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("step-up-refused", problem.GetProperty("reason").GetString());
            Output.WriteLine($"{what}: {problem.GetProperty("detail").GetString()}");
        }

        // A token verified once is remembered only for its own caller and purpose.
        var good = StepUp(RidePurpose);
        await Eventually.HoldsAsync(async () =>
        {
            using var response = await ReadAsync(vault, route, RidePurpose, good);
            return response.StatusCode == HttpStatusCode.OK;
        }, Bound, "the good token reads");
        using var otherPurpose = await ReadAsync(vault, route, "iwalk.personalisation", good);
        Assert.Equal(HttpStatusCode.Unauthorized, otherPurpose.StatusCode);
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task The_sdk_sends_its_step_up_token_so_a_backend_given_its_key_reads_a_route_and_one_without_is_refused()
    {
        var (_, route) = await RiderAsync("Location");

        VaultClient Client(ServiceCollection services, string? stepUpKey)
        {
            services.AddPrivacySuiteVaultClient(o =>
                {
                    o.BaseAddress = new Uri("http://vault.test/");
                    o.ApiKey = Factory.Credentials.ProductBackendApiKey;
                    o.Caller = DevCredentials.ProductBackendName;
                    o.StepUpKey = stepUpKey;
                    o.AttemptTimeout = TimeSpan.FromSeconds(15);
                })
                .ConfigurePrimaryHttpMessageHandler(() => Factory.Server.CreateHandler());
            return services.BuildServiceProvider().GetRequiredService<VaultClient>();
        }

        var withKey = Client(new ServiceCollection(), Factory.Credentials.ProductBackendStepUpKey);
        var withoutKey = Client(new ServiceCollection(), null);

        DetokenizeResult? read = null;
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                read = await withKey.DetokenizeAsync([route], RidePurpose);
                return true;
            }
            catch (PrivacySuiteApiException e) when (e.Reason == "consent-changing")
            {
                return false;
            }
        }, Bound, "the SDK reads the route");
        Assert.Equal("39.9042,116.4074;39.9100,116.4200", read!.Values[0].Value);

        var refused = await Assert.ThrowsAsync<PrivacySuiteApiException>(() => withoutKey.DetokenizeAsync([route], RidePurpose));
        Assert.Equal((403, "second-factor-required"), (refused.Status, refused.Reason));
    }
}
