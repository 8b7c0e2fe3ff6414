using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Client;

namespace PrivacySuite.Consent.Tests;

/// <summary>The client library against the real service.</summary>
public sealed class ClientTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    private ConsentClient NewClient(ConsentDecisionCache? cache = null)
    {
        var http = factory.CreateProductBackendClient();
        return new ConsentClient(http, cache);
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task An_officer_publishes_a_version_with_its_text_and_a_backend_reads_it_through_the_client()
    {
        var officer = new ConsentClient(factory.CreateClientFor(PrivacySuite.ServiceDefaults.Auth.SuiteRoles.PrivacyOfficer));
        var backend = NewClient();
        var version = $"v{Guid.NewGuid():N}"[..20];
        var text = new PolicyText("# Privacy Policy\n\nWe keep ride history for 90 days.", "# 隐私政策\n\n骑行记录保存 90 天。");

        // No purpose changes: the other tests of this class keep granting under 1.0.
        var published = await officer.PublishPolicyVersionAsync("iwalk-scooter", new PublishPolicyVersion(version,
            new PolicyAnnouncement(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7), new PolicySummary("Ride history is kept for 90 days.", "骑行记录保存 90 天。"),
                "https://example.com/policy/iwalk-scooter"), text));
        var current = await backend.GetCurrentPolicyAsync("iwalk-scooter");

        Assert.Equal(version, published.Version);
        Assert.Equal(version, current.Version);
        Assert.Equal(text, current.Text);
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task A_separate_consent_is_granted_answered_and_withdrawn_through_the_client()
    {
        var client = NewClient();
        var rider = Api.NewSubjectId();
        await client.RegisterSubjectAsync(new RegisterSubject(rider, "iwalk-scooter", Api.Adult));

        var granted = await client.GrantConsentAsync(rider, new GrantConsent("iwalk.service.provide", "1.0", "app-onboarding", SensitiveCategories: ["Location"]));
        var before = await client.CheckAsync(rider, "iwalk.service.provide");
        var withdrawn = await client.WithdrawSensitiveConsentAsync(rider, "iwalk.service.provide", "location");
        var after = await client.CheckAsync(rider, "iwalk.service.provide");

        Assert.Equal(["Location"], granted.Consent.SensitiveCategories!);
        Assert.Equal(["Location"], before.SensitiveCategories!);
        Assert.Empty(withdrawn.SensitiveCategories!);
        Assert.True(after.Allowed);
        Assert.Empty(after.SensitiveCategories!);
    }

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task Typed_calls_cover_the_consent_lifecycle()
    {
        var client = NewClient();
        var subjectId = Api.NewSubjectId();

        var subject = await client.RegisterSubjectAsync(new RegisterSubject(subjectId, "infobird", Api.Adult));
        var purposes = await client.ListPurposesAsync("infobird");
        var granted = await client.GrantConsentAsync(subjectId, new GrantConsent("surveys", "1.0", "web-form"));
        var allowed = await client.CheckAsync(subjectId, "surveys");
        var withdrawn = await client.WithdrawConsentAsync(subjectId, "surveys");
        var denied = await client.CheckAsync(subjectId, "surveys");
        var essential = await Assert.ThrowsAsync<ConsentApiException>(() => client.WithdrawConsentAsync(subjectId, "service.provide"));
        var keys = await client.GetReceiptKeysAsync();
        var cancelled = await client.CancelAccountAsync(subjectId);
        var consents = await client.GetConsentsAsync(subjectId);

        Assert.Equal("active", subject.Status);
        Assert.Contains(purposes, p => p.Code == "surveys" && !p.Essential);
        Assert.True(ConsentReceiptVerifier.TryVerify(granted.Receipt!, keys.Keys, out _));
        Assert.True(allowed.Allowed);
        Assert.Equal("withdrawn", withdrawn.State);
        Assert.False(denied.Allowed);
        Assert.Equal(409, essential.Status);
        Assert.Contains("cancel", essential.Detail);
        Assert.Equal(subjectId, cancelled.SubjectId);
        Assert.Equal("cancelled", consents.Subject.Status);
        Assert.Equal(["granted", "withdrawn"], consents.History.Select(h => h.Action).ToArray());
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    public async Task A_refusal_reaches_the_caller_with_its_reason()
    {
        var client = NewClient();
        var minor = Api.NewSubjectId();
        await client.RegisterSubjectAsync(new RegisterSubject(minor, "iwalk-scooter", Api.BornYearsAgo(10)));

        var refused = await Assert.ThrowsAsync<ConsentApiException>(() =>
            client.GrantConsentAsync(minor, new GrantConsent("iwalk.personalisation", "1.0", "app")));

        Assert.Equal(422, refused.Status);
        Assert.Equal("guardian-consent-required", refused.Reason);
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    public async Task A_guardians_consent_goes_through_the_client_with_the_verification_and_its_code()
    {
        var client = NewClient();
        var minor = Api.NewSubjectId();
        await client.RegisterSubjectAsync(new RegisterSubject(minor, "iwalk-scooter", Api.BornYearsAgo(10)));
        using var http = factory.CreateProductBackendClient();
        var guardian = await factory.GuardianForAsync(http, minor);

        var granted = await client.GrantConsentAsync(minor, new GrantConsent("iwalk.personalisation", "1.0", "app",
            Guardian: new GuardianConsent(guardian.GuardianId, guardian.VerificationId, guardian.Code)));
        var history = (await client.GetConsentsAsync(minor)).History;

        Assert.Equal((guardian.GuardianId, guardian.VerificationId), (granted.Consent.GuardianId, granted.Consent.GuardianVerificationId));
        Assert.Equal(guardian.VerificationId, Assert.Single(history).GuardianVerificationId);
        Assert.True((await client.CheckAsync(minor, "iwalk.personalisation")).Allowed);
    }

    [Fact]
    public async Task Local_cache_answers_within_its_staleness_bound_and_a_withdrawal_clears_it()
    {
        var time = new ManualTime();
        var cache = new ConsentDecisionCache(TimeSpan.FromSeconds(2), time);
        var cached = NewClient(cache);
        var other = NewClient();
        var subjectId = Api.NewSubjectId();
        await other.RegisterSubjectAsync(new RegisterSubject(subjectId, "infobird", Api.Adult));
        await other.GrantConsentAsync(subjectId, new GrantConsent("surveys", "1.0", "app"));
        Assert.True((await cached.CheckAsync(subjectId, "surveys")).Allowed);

        // Withdrawn elsewhere: within the bound this client may still say allowed; past it, it must ask again.
        await other.WithdrawConsentAsync(subjectId, "surveys");
        var withinBound = await cached.CheckAsync(subjectId, "surveys");
        time.Advance(TimeSpan.FromSeconds(2));
        var pastBound = await cached.CheckAsync(subjectId, "surveys");

        // Granted again and cached, then withdrawn through this client: its answer changes at once.
        await other.GrantConsentAsync(subjectId, new GrantConsent("surveys", "1.0", "app"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True((await cached.CheckAsync(subjectId, "surveys")).Allowed);
        await cached.WithdrawConsentAsync(subjectId, "surveys");
        var afterOwnWithdrawal = await cached.CheckAsync(subjectId, "surveys");

        Assert.True(withinBound.Allowed);
        Assert.False(pastBound.Allowed);
        Assert.False(afterOwnWithdrawal.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(2), cache.MaxStaleness);
    }

    [Fact]
    public async Task A_withdrawal_event_clears_the_local_cache()
    {
        var cache = new ConsentDecisionCache(TimeSpan.FromMinutes(5));
        var cached = NewClient(cache);
        var other = NewClient();
        var subjectId = Api.NewSubjectId();
        await other.RegisterSubjectAsync(new RegisterSubject(subjectId, "infobird", Api.Adult));
        await other.GrantConsentAsync(subjectId, new GrantConsent("surveys", "1.0", "app"));
        Assert.True((await cached.CheckAsync(subjectId, "surveys")).Allowed);
        await using var probe = await EventProbe<ConsentWithdrawn>.StartAsync(await factory.TestBusAsync());

        await other.WithdrawConsentAsync(subjectId, "surveys");
        var @event = await probe.WaitForAsync(e => e.SubjectId == subjectId, "ConsentWithdrawn");
        var beforeEvent = await cached.CheckAsync(subjectId, "surveys");
        cache.Invalidate(@event.SubjectId, @event.Purpose);
        var afterEvent = await cached.CheckAsync(subjectId, "surveys");

        Assert.True(beforeEvent.Allowed);
        Assert.False(afterEvent.Allowed);
    }

    [Fact]
    public async Task Registered_client_sends_the_api_key_and_retries_a_transient_failure()
    {
        var services = new ServiceCollection();
        var failures = new FailFirst(factory.Server.CreateHandler());
        services.AddPrivacySuiteConsentClient(o =>
            {
                o.BaseAddress = new Uri("http://localhost/");
                o.ApiKey = factory.Credentials.ProductBackendApiKey;
                o.DecisionCacheStaleness = TimeSpan.FromSeconds(1);
                o.AttemptTimeout = TimeSpan.FromSeconds(15); // a loaded test machine must not turn this into a timeout test
            })
            .ConfigurePrimaryHttpMessageHandler(() => failures);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<ConsentClient>();

        var purposes = await client.ListPurposesAsync();

        Assert.NotEmpty(purposes);
        Assert.Equal(2, failures.Calls);
        Assert.Equal(TimeSpan.FromSeconds(1), client.Cache!.MaxStaleness);
    }

    /// <summary>Answers the first call with 503, as a restarting replica would, then passes calls to the real service.</summary>
    private sealed class FailFirst(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref Calls) == 1
                ? Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable))
                : base.SendAsync(request, cancellationToken);
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
