using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Client;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>The SDK's vault client against the real vault: safe retries, idempotency keys, typed refusals, reads from the standby.</summary>
public sealed class SdkTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private static string NewSubject() => $"sdk-{Guid.NewGuid():N}"[..24];

    private (ServiceProvider Provider, VaultClient Client) Registered(HttpMessageHandler primary, Uri? standby = null, List<RegionFallback>? moves = null)
    {
        var services = new ServiceCollection();
        services.AddPrivacySuiteVaultClient(o =>
            {
                o.BaseAddress = new Uri("http://primary.test/");
                o.StandbyAddress = standby;
                o.ApiKey = factory.Credentials.ProductBackendApiKey;
                o.AttemptTimeout = TimeSpan.FromSeconds(15); // a loaded test machine must not turn this into a timeout test
                o.OnRegionFallback = moved => moves?.Add(moved);
            })
            .ConfigurePrimaryHttpMessageHandler(() => primary);
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<VaultClient>());
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_store_whose_answer_was_lost_is_retried_with_its_key_and_the_vault_writes_once()
    {
        var subject = NewSubject();
        var lossy = new LoseFirstAnswer(factory.Server.CreateHandler());
        var (provider, vault) = Registered(lossy);
        await using var _ = provider;

        var stored = await vault.StoreAsync(subject, new StoreData("contact", "provided", "consent",
            new Dictionary<string, string> { ["email"] = "rider@example.com" }));

        Assert.Equal(2, lossy.Calls);
        Assert.StartsWith("tk_", stored.Tokens["email"]);
        Assert.Equal(1, await factory.WithDbAsync(db => db.Values.Where(v => v.SubjectId == subject).Select(v => v.Version).SingleAsync()));
        Assert.Equal(1, await factory.WithDbAsync(db => db.AccessLog.CountAsync(a => a.SubjectId == subject && a.Action == "write")));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task Writes_without_a_key_are_never_retried_and_reads_are()
    {
        var failing = new FailFirst(factory.Server.CreateHandler());
        var (provider, vault) = Registered(failing);
        await using var _ = provider;

        var lookup = await Assert.ThrowsAsync<PrivacySuiteApiException>(() => vault.LookupAsync("email", "nobody@example.com"));
        Assert.Equal(503, lookup.Status);
        Assert.Equal(1, failing.Calls);

        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer, "officer-sdk");
        var failingGet = new FailFirst(factory.Server.CreateHandler());
        var officerVault = new VaultClient(new HttpClient(new PrivacySuiteResilienceHandler(new VaultClientOptions { AttemptTimeout = TimeSpan.FromSeconds(15) })
        {
            InnerHandler = new BearerFrom(officer, failingGet),
        }) { BaseAddress = new Uri("http://primary.test/") });
        var requests = await officerVault.ListRequestsAsync(limit: 5);
        Assert.NotNull(requests);
        Assert.Equal(2, failingGet.Calls);
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task Refusals_arrive_as_problem_details_with_status_reason_and_detail()
    {
        var subject = NewSubject();
        var (provider, vault) = Registered(factory.Server.CreateHandler());
        await using var _ = provider;
        var stored = await vault.StoreAsync(subject, new StoreData("contact", "provided", "consent", new Dictionary<string, string> { ["email"] = "rider@example.com" }));

        var denied = await Assert.ThrowsAsync<PrivacySuiteApiException>(() => vault.DetokenizeAsync([stored.Tokens["email"]], "surveys"));
        var invalid = await Assert.ThrowsAsync<PrivacySuiteApiException>(() =>
            vault.StoreAsync(subject, new StoreData("hobbies", "provided", "consent", new Dictionary<string, string> { ["x"] = "y" })));
        await vault.StoreAsync(NewSubject(), new StoreData("contact", "provided", "consent", new Dictionary<string, string> { ["email"] = "a@example.com" }), "sdk-key-2");
        var reusedAgain = await Assert.ThrowsAsync<PrivacySuiteApiException>(() =>
            vault.StoreAsync(subject, new StoreData("contact", "provided", "consent", new Dictionary<string, string> { ["email"] = "b@example.com" }), "sdk-key-2"));

        Assert.Equal(("vault", 403, "no-consent"), (denied.Service, denied.Status, denied.Reason));
        Assert.False(string.IsNullOrEmpty(denied.Detail));
        Assert.DoesNotContain("rider@example.com", denied.Message + denied.Detail, StringComparison.Ordinal);
        Assert.Equal(400, invalid.Status);
        Assert.Contains("category", invalid.Errors.Keys);
        Assert.Equal((422, "idempotency-key-reused"), (reusedAgain.Status, reusedAgain.Reason));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_read_that_fails_on_the_primary_is_answered_by_the_standby_and_a_write_never_moves()
    {
        var moves = new List<RegionFallback>();
        // Primary answers 503 to everything (a replica that lost its database); the standby is the real vault.
        var regions = new ByHost(new Dictionary<string, HttpMessageHandler>
        {
            ["primary.test"] = new Always503(),
            ["standby.test"] = factory.Server.CreateHandler(),
        });
        using var officer = factory.CreateClientFor(SuiteRoles.PrivacyOfficer, "officer-sdk");
        var options = new VaultClientOptions { AttemptTimeout = TimeSpan.FromSeconds(15), MaxRetries = 0 };
        var fallback = new RegionFallbackHandler([new Uri("http://primary.test/"), new Uri("http://standby.test/")], RegionFallbackMode.ReadsOnFailure, moves.Add)
        {
            InnerHandler = new BearerFrom(officer, regions),
        };
        var vault = new VaultClient(new HttpClient(new PrivacySuiteResilienceHandler(options) { InnerHandler = fallback }) { BaseAddress = new Uri("http://primary.test/") });

        var listed = await vault.ListRequestsAsync(limit: 5);
        var write = await Assert.ThrowsAsync<PrivacySuiteApiException>(() => vault.StartRequestAsync(NewSubject(), "export"));

        Assert.NotNull(listed);
        Assert.Equal(new RegionFallback(new Uri("http://primary.test/"), new Uri("http://standby.test/"), true, "503"), Assert.Single(moves));
        Assert.Equal(503, write.Status);
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task A_product_backend_follows_the_requests_it_started_for_a_person()
    {
        var subject = NewSubject();
        await factory.StoreAsync(subject, "device", new { model = "Phone X" });
        var (provider, vault) = Registered(factory.Server.CreateHandler());
        await using var _ = provider;
        using var backend = factory.Backend();
        var (accessId, code) = await factory.StartRequestAsync(backend, subject, "access");
        var (exportId, _) = await factory.StartRequestAsync(backend, subject, "export");

        var open = await vault.ListSubjectRequestsAsync(subject);
        await vault.AccessAsync(subject, accessId, code);
        var after = await vault.ListSubjectRequestsAsync(subject);

        Assert.Equal([(exportId, "export", "open"), (accessId, "access", "open")], open.Select(r => (r.Id, r.Request, r.State)));
        Assert.Equal(("done", true), (after.Single(r => r.Id == accessId).State, after.Single(r => r.Id == accessId).DoneAt is not null));
        Assert.Equal("open", after.Single(r => r.Id == exportId).State);
    }

    /// <summary>Passes the request on, then loses the answer, as a connection reset after the service committed would.</summary>
    private sealed class LoseFirstAnswer(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Calls;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (Interlocked.Increment(ref Calls) == 1)
            {
                response.Dispose();
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The connection ended before the answer.");
            }

            return response;
        }
    }

    /// <summary>Answers the first call with 503, then passes calls on.</summary>
    private sealed class FailFirst(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref Calls) == 1
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable))
                : base.SendAsync(request, cancellationToken);
    }

    private sealed class Always503 : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
    }

    /// <summary>Sends each request to the handler of its host: two regions in one process.</summary>
    private sealed class ByHost(IReadOnlyDictionary<string, HttpMessageHandler> hosts) : HttpMessageHandler
    {
        private readonly Dictionary<string, HttpMessageInvoker> _invokers = hosts.ToDictionary(h => h.Key, h => new HttpMessageInvoker(h.Value));

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _invokers[request.RequestUri!.Host].SendAsync(request, cancellationToken);
    }

    /// <summary>Adds the bearer token of a test client (an officer's) to each request.</summary>
    private sealed class BearerFrom(HttpClient client, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = client.DefaultRequestHeaders.Authorization;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
