using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Input;

namespace PrivacySuite.Vault.Tests;

/// <summary>Small limits, so that a test reaches them; the defaults are the documented ones (docs/security.md).</summary>
public sealed class SmallRateLimitsFactory : VaultFactory
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["PrivacySuite:RateLimits:PersonRequestsPerMinute"] = "4";
        settings["PrivacySuite:RateLimits:VerificationsPerSubject"] = "3";
        settings["PrivacySuite:RateLimits:LookupsPerMinute"] = "3";
    }
}

/// <summary>What a caller can repeat is limited, and the refusal says when to come back (429 with Retry-After).</summary>
public sealed class RateLimitTests(SmallRateLimitsFactory factory) : IClassFixture<SmallRateLimitsFactory>
{
    [Fact]
    public void The_defaults_are_the_documented_limits()
    {
        var defaults = new RateLimitOptions();
        Assert.Equal(120, defaults.PersonRequestsPerMinute);
        Assert.Equal(5, defaults.VerificationsPerSubject);
        Assert.Equal(TimeSpan.FromMinutes(15), defaults.VerificationWindow);
        Assert.Equal(300, defaults.LookupsPerMinute);
        Assert.Equal(5, defaults.SignInsPerAddress);
        Assert.Equal(30, defaults.SignInRequestsPerClient);
        Assert.Equal(TimeSpan.FromMinutes(15), defaults.SignInWindow);
    }

    [Fact]
    public async Task Verifications_for_one_subject_are_limited_whoever_starts_them()
    {
        // Proving the contact is a verification too: it takes one of the subject's three.
        await factory.VerifyContactAsync("limited-1", "limited@example.cn");
        using var backend = factory.Backend();
        using var officer = factory.Officer();
        for (var i = 0; i < 2; i++)
        {
            using var started = await (i % 2 == 0 ? backend : officer).PostAsJsonAsync("/v1/subjects/limited-1/verifications", new { request = "export" });
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        var sentBefore = (await factory.OutboxAsync()).Count(m => m.MessageType.Contains("NoticeRequested"));
        using var refused = await officer.PostAsJsonAsync("/v1/subjects/limited-1/verifications", new { request = "export" });

        await AssertTooManyAsync(refused);
        Assert.Equal(sentBefore, (await factory.OutboxAsync()).Count(m => m.MessageType.Contains("NoticeRequested")));
        // Another subject has a budget of its own.
        using var other = await backend.PostAsJsonAsync("/v1/subjects/limited-2/verifications", new { request = "export" });
        Assert.NotEqual(HttpStatusCode.TooManyRequests, other.StatusCode);
    }

    [Fact]
    public async Task Lookups_are_limited_per_caller()
    {
        using var backend = factory.Backend();
        for (var i = 0; i < 3; i++)
        {
            using var found = await backend.PostAsJsonAsync("/v1/lookup", new { field = "email", value = $"nobody{i}@example.cn" });
            Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        }

        using var refused = await backend.PostAsJsonAsync("/v1/lookup", new { field = "email", value = "nobody9@example.cn" });

        await AssertTooManyAsync(refused);
    }

    [Fact]
    public async Task A_person_is_limited_on_every_route_and_health_probes_never_are()
    {
        using var person = factory.CreateClientFor(SuiteRoles.Subject, "limited-person");
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            // Incomplete on purpose: every request counts, answered or refused.
            using var response = await person.PostAsJsonAsync("/v1/subjects/limited-person/access", new { });
            answers.Add(response.StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, answers);
        using (var refused = await person.PostAsJsonAsync("/v1/subjects/limited-person/access", new { }))
        {
            await AssertTooManyAsync(refused);
        }

        using var anonymous = factory.CreateClient();
        for (var i = 0; i < 10; i++)
        {
            using var health = await anonymous.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    internal static async Task AssertTooManyAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
    }
}

/// <summary>Small sign-in limits, so that a test reaches them.</summary>
public sealed class SmallSignInLimitsFactory : VaultFactory
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["PrivacySuite:RateLimits:SignInsPerAddress"] = "2";
        settings["PrivacySuite:RateLimits:SignInRequestsPerClient"] = "6";
    }
}

/// <summary>Sign-ins are limited per address typed, known or not, and per client address over both sign-in routes (INF-6.3).</summary>
public sealed class SignInRateLimitTests(SmallSignInLimitsFactory factory) : IClassFixture<SmallSignInLimitsFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task Sign_ins_are_limited_per_address_known_or_not_and_per_client_over_both_routes()
    {
        await factory.VerifyContactAsync("limited-signin", "limited.signin@example.cn");
        using var anonymous = factory.CreateClient();
        var accepted = new List<HttpStatusCode>();
        foreach (var value in new[] { "limited.signin@example.cn", "Limited.SignIn@example.cn", "nobody.limited@example.cn", "nobody.limited@example.cn" })
        {
            using var response = await anonymous.PostAsJsonAsync("/v1/sign-in", new { field = "email", value });
            accepted.Add(response.StatusCode);
        }

        var sent = await factory.WithDbAsync(db => db.Verifications.CountAsync(v => v.Request == "sign-in"));
        // The third of one address, known or not: refused alike, and no code is started.
        using var known = await anonymous.PostAsJsonAsync("/v1/sign-in", new { field = "email", value = "limited.signin@example.cn" });
        using var unknown = await anonymous.PostAsJsonAsync("/v1/sign-in", new { field = "email", value = "nobody.limited@example.cn" });
        Assert.All(accepted, a => Assert.Equal(HttpStatusCode.Accepted, a));
        await RateLimitTests.AssertTooManyAsync(known);
        await RateLimitTests.AssertTooManyAsync(unknown);
        Assert.Equal(sent, await factory.WithDbAsync(db => db.Verifications.CountAsync(v => v.Request == "sign-in")));

        // Six requests from this client so far, answered or not: its seventh, a redemption, is refused before it is read.
        using var redemption = await anonymous.PostAsJsonAsync($"/v1/sign-in/{Guid.NewGuid()}/redemption", new { code = "123456" });
        await RateLimitTests.AssertTooManyAsync(redemption);
    }
}
