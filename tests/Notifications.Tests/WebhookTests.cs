using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using PrivacySuite.Client;
using PrivacySuite.Contracts;
using PrivacySuite.Notifications.Apis;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>A receiver of webhooks outside the suite, on a loopback port: it records each request, and answers as scripted per path.</summary>
public sealed class WebhookReceiver
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<HttpStatusCode>> _scripted = new();

    public ConcurrentQueue<WebhookCall> Received { get; } = new();

    /// <summary>The answers to the next requests to <paramref name="path"/>, in order; afterwards 200.</summary>
    public void Script(string path, params HttpStatusCode[] statuses)
    {
        var queue = _scripted.GetOrAdd(path, _ => new());
        foreach (var status in statuses)
        {
            queue.Enqueue(status);
        }
    }

    public IReadOnlyList<WebhookCall> At(string path) => Received.Where(c => c.Path == path).ToList();

    public async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var path = context.Request.Path.Value ?? "";
        var status = _scripted.TryGetValue(path, out var queue) && queue.TryDequeue(out var s) ? s : HttpStatusCode.OK;
        Received.Enqueue(new WebhookCall(path, context.Request.Method, context.Request.ContentType,
            context.Request.Headers[WebhookSignature.IdHeader].ToString(), context.Request.Headers[WebhookSignature.TimestampHeader].ToString(),
            context.Request.Headers[WebhookSignature.SignatureHeader].ToString(), body, (int)status));
        context.Response.StatusCode = (int)status;
    }
}

public sealed record WebhookCall(string Path, string Method, string? ContentType, string Id, string Timestamp, string Signature, string Body, int AnsweredWith)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public bool VerifiesWith(string secret) => WebhookSignature.Verify(secret, Timestamp, Body, Signature, DateTimeOffset.UtcNow, WebhookSignature.DefaultTolerance);
}

/// <summary>The notification service with a webhook receiver, and deliveries dead after 3 attempts (1 s, then 2 s apart).</summary>
public sealed class WebhookFactory : NotificationsFactory
{
    private LocalHttpServer? _server;

    public WebhookReceiver Receiver { get; } = new();

    public Uri ReceiverAddress => _server!.Address;

    protected override async Task StartFarSidesAsync()
    {
        await base.StartFarSidesAsync();
        _server = await LocalHttpServer.StartAsync(Receiver.HandleAsync);
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["PrivacySuite:Notifications:Webhooks:MaxAttempts"] = "3";
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>Issue 20.3: webhooks reach systems outside the suite, signed, retried until taken, never lost and never forgeable.</summary>
public sealed class WebhookTests(WebhookFactory factory) : IClassFixture<WebhookFactory>
{
    private HttpClient Backend(string name) => factory.CreateClientFor(SuiteRoles.ProductBackend, name);

    private static string NewCaller() => $"backend-{Guid.NewGuid():N}"[..20];

    private string Url(string path) => new Uri(factory.ReceiverAddress, path).ToString();

    private static async Task<WebhookSecretView> RegisterAsync(HttpClient client, string url, params string[] events)
    {
        using var response = await client.PostAsJsonAsync("/v1/webhooks", new { url, events });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WebhookSecretView>())!;
    }

    private static async Task<WebhookView> ViewAsync(HttpClient client, Guid endpointId) =>
        (await client.GetFromJsonAsync<List<WebhookView>>("/v1/webhooks"))!.Single(w => w.EndpointId == endpointId);

    private async Task<List<WebhookCall>> ArrivedAsync(string path, int count)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(factory.Receiver.At(path).Count >= count), TestHelpers.Patience, $"{count} webhooks at {path}");
        return [.. factory.Receiver.At(path)];
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task Registration_refuses_bad_urls_and_events_with_problem_details_and_writes_nothing()
    {
        var caller = NewCaller();
        using var client = Backend(caller);
        var good = Url("/refusals");
        var bad = new (string Url, string[] Events)[]
        {
            ("ftp://example.com/hooks", ["consent.withdrawn"]),
            ("http://example.com/hooks", ["consent.withdrawn"]),
            ("https://user:secret@example.com/hooks", ["consent.withdrawn"]),
            ("https://example.com/hooks#part", ["consent.withdrawn"]),
            ("/relative/hooks", ["consent.withdrawn"]),
            ("https://example.com/a hook", ["consent.withdrawn"]),
            ("https://example.com/" + new string('a', 2000), ["consent.withdrawn"]),
            ("https://169.254.169.254/latest/meta-data", ["consent.withdrawn"]),
            ("https://10.1.2.3/hooks", ["consent.withdrawn"]),
            ("https://192.168.1.10/hooks", ["consent.withdrawn"]),
            ("https://[fe80::1]/hooks", ["consent.withdrawn"]),
            ("https://[::ffff:10.0.0.1]/hooks", ["consent.withdrawn"]),
            (good, []),
            (good, ["consent.granted"]),
            (good, ["consent.withdrawn", "consent.withdrawn"]),
        };
        foreach (var (url, events) in bad)
        {
            using var response = await client.PostAsJsonAsync("/v1/webhooks", new { url, events });
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url[..Math.Min(40, url.Length)]} [{string.Join(",", events)}]: {response.StatusCode}");
            await response.ProblemAsync();
        }

        Assert.Equal(["0"], await factory.QueryAsync($"select count(*) from webhook_endpoints where owner = '{caller}'"));

        // Explicit limit per caller: 10 endpoints, the 11th is refused.
        for (var i = 0; i < 10; i++)
        {
            await RegisterAsync(client, Url($"/limit/{i}"), "policy.published");
        }

        using var eleventh = await client.PostAsJsonAsync("/v1/webhooks", new { url = Url("/limit/10"), events = new[] { "policy.published" } });
        Assert.Equal(HttpStatusCode.Conflict, eleventh.StatusCode);
        Assert.Contains("10", (await eleventh.ProblemAsync()).GetProperty("detail").GetString());
        Assert.Equal(["10"], await factory.QueryAsync($"select count(*) from webhook_endpoints where owner = '{caller}'"));

        // Others' endpoints are not listed, changed or deleted by a product backend.
        using var other = Backend(NewCaller());
        var mine = (await client.GetFromJsonAsync<List<WebhookView>>("/v1/webhooks"))!;
        Assert.Equal(10, mine.Count);
        Assert.Empty((await other.GetFromJsonAsync<List<WebhookView>>("/v1/webhooks"))!);
        using var deleted = await other.DeleteAsync($"/v1/webhooks/{mine[0].EndpointId}");
        Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
        await deleted.ProblemAsync();
        using var rotated = await other.PostAsync($"/v1/webhooks/{mine[0].EndpointId}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.NotFound, rotated.StatusCode);
        using var ownDelete = await client.DeleteAsync($"/v1/webhooks/{mine[0].EndpointId}");
        Assert.Equal(HttpStatusCode.NoContent, ownDelete.StatusCode);
        Assert.Equal(["9"], await factory.QueryAsync($"select count(*) from webhook_endpoints where owner = '{caller}'"));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task An_event_reaches_only_the_endpoints_that_want_it_signed_once_and_verifiable()
    {
        using var a = Backend(NewCaller());
        using var b = Backend(NewCaller());
        var path = $"/withdrawn/{Guid.NewGuid():N}";
        var otherPath = $"/cancelled/{Guid.NewGuid():N}";
        var wantsWithdrawals = await RegisterAsync(a, Url(path), "consent.withdrawn", "subject.erased");
        var wantsCancellations = await RegisterAsync(b, Url(otherPath), "account.cancelled");
        Assert.Equal(64, wantsWithdrawals.Secret.Length);
        Assert.NotEqual(wantsWithdrawals.Secret, wantsCancellations.Secret);

        var bus = await factory.TestBusAsync();
        var withdrawn = new ConsentWithdrawn(TestHelpers.NewSubject(), "marketing", DateTimeOffset.UtcNow);
        // The same event published twice (two message ids): delivered once.
        await bus.Publish(withdrawn);
        await bus.Publish(withdrawn);

        var call = (await ArrivedAsync(path, 1))[0];
        Assert.Equal("POST", call.Method);
        Assert.StartsWith("application/json", call.ContentType);
        Assert.True(call.VerifiesWith(wantsWithdrawals.Secret));
        Assert.False(call.VerifiesWith(wantsCancellations.Secret));
        var json = call.Json;
        Assert.Equal(call.Id, json.GetProperty("id").GetString());
        Assert.Equal("consent.withdrawn", json.GetProperty("type").GetString());
        Assert.Equal(withdrawn.SubjectId, json.GetProperty("data").GetProperty("subjectId").GetString());
        Assert.Equal("marketing", json.GetProperty("data").GetProperty("purpose").GetString());
        Assert.Equal(withdrawn.WithdrawnAt, json.GetProperty("occurredAt").GetDateTimeOffset());

        // A forged or altered request does not verify: another body, another timestamp, a replay outside the tolerance.
        Assert.False(WebhookSignature.Verify(wantsWithdrawals.Secret, call.Timestamp, call.Body.Replace("marketing", "analytics"), call.Signature));
        Assert.False(WebhookSignature.Verify(wantsWithdrawals.Secret, (long.Parse(call.Timestamp) + 1).ToString(), call.Body, call.Signature));
        Assert.False(WebhookSignature.Verify(wantsWithdrawals.Secret, call.Timestamp, call.Body, call.Signature,
            DateTimeOffset.FromUnixTimeSeconds(long.Parse(call.Timestamp)).AddMinutes(6), WebhookSignature.DefaultTolerance));
        Assert.False(WebhookSignature.Verify(wantsWithdrawals.Secret, call.Timestamp, call.Body, "v1=" + new string('0', 64)));
        Assert.False(WebhookSignature.Verify(wantsWithdrawals.Secret, call.Timestamp, call.Body, "garbage"));

        // An event nobody of these subscribed to reaches neither; the next subscribed one reaches its endpoint.
        await bus.Publish(new PolicyVersionPublished("privacy-policy", $"v-{Guid.NewGuid():N}", ["marketing"], DateTimeOffset.UtcNow));
        var erased = new SubjectErased(withdrawn.SubjectId, Guid.NewGuid(), DateTimeOffset.UtcNow);
        await bus.Publish(erased);
        var calls = await ArrivedAsync(path, 2);
        Assert.Equal(erased.DeletionCertificateId, calls[1].Json.GetProperty("data").GetProperty("deletionCertificateId").GetGuid());
        Assert.True(calls[1].VerifiesWith(wantsWithdrawals.Secret));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(2, factory.Receiver.At(path).Count);
        Assert.Empty(factory.Receiver.At(otherPath));
        var view = await ViewAsync(a, wantsWithdrawals.EndpointId);
        Assert.NotNull(view.LastDeliveredAt);
        Assert.Equal(0, view.ConsecutiveFailures);
        Assert.Equal(0, view.Pending);
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_failing_endpoint_is_retried_with_the_same_id_shows_as_failing_and_dead_deliveries_can_be_sent_again()
    {
        using var client = Backend(NewCaller());
        var path = $"/flaky/{Guid.NewGuid():N}";
        var endpoint = await RegisterAsync(client, Url(path), "account.cancelled");
        factory.Receiver.Script(path, HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable);
        var bus = await factory.TestBusAsync();
        await bus.Publish(new AccountCancelled(TestHelpers.NewSubject(), DateTimeOffset.UtcNow));

        var first = (await ArrivedAsync(path, 1))[0];
        await Eventually.HoldsAsync(async () => (await ViewAsync(client, endpoint.EndpointId)).ConsecutiveFailures >= 1, TestHelpers.Patience, "failure recorded");
        var failing = await ViewAsync(client, endpoint.EndpointId);
        Assert.True(failing.Failing);
        Assert.StartsWith("http-5", failing.LastFailureReason);
        Assert.Equal(1, failing.Pending);

        // 500, 503, then 200: the same id each time, later timestamps, each signed.
        var calls = await ArrivedAsync(path, 3);
        Assert.All(calls, c => Assert.Equal(first.Id, c.Id));
        Assert.All(calls, c => Assert.Equal(first.Body, c.Body));
        Assert.All(calls, c => Assert.True(c.VerifiesWith(endpoint.Secret)));
        Assert.True(long.Parse(calls[1].Timestamp) > long.Parse(calls[0].Timestamp));
        Assert.True(long.Parse(calls[2].Timestamp) > long.Parse(calls[1].Timestamp));
        await Eventually.HoldsAsync(async () => (await ViewAsync(client, endpoint.EndpointId)).ConsecutiveFailures == 0, TestHelpers.Patience, "delivered");
        Assert.Equal(0, (await ViewAsync(client, endpoint.EndpointId)).Pending);

        // Failing past the last attempt (3 here): dead, kept and visible; redeliver sends it again with the same id.
        factory.Receiver.Script(path, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway);
        await bus.Publish(new AccountCancelled(TestHelpers.NewSubject(), DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(async () => (await ViewAsync(client, endpoint.EndpointId)).Dead == 1, TestHelpers.Patience, "dead delivery");
        var dead = await ViewAsync(client, endpoint.EndpointId);
        Assert.Equal(3, dead.ConsecutiveFailures);
        Assert.Equal("http-502", dead.LastFailureReason);
        Assert.Equal(0, dead.Pending);
        var deadId = factory.Receiver.At(path).Last().Id;

        using var operatorClient = factory.CreateClientFor(SuiteRoles.Operator);
        Assert.Contains((await operatorClient.GetFromJsonAsync<List<WebhookView>>("/v1/webhooks"))!, w => w.EndpointId == endpoint.EndpointId && w.Failing);
        using var redeliver = await client.PostAsync($"/v1/webhooks/{endpoint.EndpointId}/redeliver", null);
        Assert.Equal(HttpStatusCode.OK, redeliver.StatusCode);
        Assert.Equal(1, (await redeliver.Content.ReadFromJsonAsync<WebhookRedeliveryView>())!.Requeued);
        var again = await ArrivedAsync(path, 7);
        Assert.Equal(deadId, again[6].Id);
        Assert.Equal(200, again[6].AnsweredWith);
        await Eventually.HoldsAsync(async () => (await ViewAsync(client, endpoint.EndpointId)) is { Dead: 0, Pending: 0, ConsecutiveFailures: 0 },
            TestHelpers.Patience, "redelivered");
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_url_named_like_a_suite_service_does_not_reach_it()
    {
        // The host knows the vault as services:vault (service discovery); a webhook is sent to the name as the internet knows it.
        using var client = Backend(NewCaller());
        var endpoint = await RegisterAsync(client, "https://vault/v1/subjects/contacts", "account.cancelled");
        var bus = await factory.TestBusAsync();
        await bus.Publish(new AccountCancelled(TestHelpers.NewSubject(), DateTimeOffset.UtcNow));

        await Eventually.HoldsAsync(async () => (await ViewAsync(client, endpoint.EndpointId)).LastFailureReason is not null, TestHelpers.Patience, "attempt failed");
        Assert.Matches("^(network-error.*|timeout)$", (await ViewAsync(client, endpoint.EndpointId)).LastFailureReason);
        Assert.Equal(0, factory.Vault.Calls);
        using var deleted = await client.DeleteAsync($"/v1/webhooks/{endpoint.EndpointId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_rotation_with_an_overlap_signs_with_both_secrets_so_the_receiver_switches_without_losing_a_delivery()
    {
        using var client = Backend(NewCaller());
        var path = $"/overlapping/{Guid.NewGuid():N}";
        var endpoint = await RegisterAsync(client, Url(path), "policy.published");

        using var tooLong = await client.PostAsync($"/v1/webhooks/{endpoint.EndpointId}/rotate-secret?overlapMinutes=1441", null);
        using var negative = await client.PostAsync($"/v1/webhooks/{endpoint.EndpointId}/rotate-secret?overlapMinutes=-1", null);
        using var rotate = await client.PostAsync($"/v1/webhooks/{endpoint.EndpointId}/rotate-secret?overlapMinutes=60", null);
        var rotated = (await rotate.Content.ReadFromJsonAsync<WebhookSecretView>())!;
        var bus = await factory.TestBusAsync();
        await bus.Publish(new PolicyVersionPublished("privacy-policy", $"v-{Guid.NewGuid():N}", [], DateTimeOffset.UtcNow));
        var during = (await ArrivedAsync(path, 1))[0];

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.InRange(rotated.PreviousSecretUntil!.Value, DateTimeOffset.UtcNow.AddMinutes(58), DateTimeOffset.UtcNow.AddMinutes(61));
        Assert.True(during.VerifiesWith(rotated.Secret));
        Assert.True(during.VerifiesWith(endpoint.Secret));

        // A rotation without an overlap (a leaked secret) ends both earlier secrets at once.
        using var again = await client.PostAsync($"/v1/webhooks/{endpoint.EndpointId}/rotate-secret", null);
        var latest = (await again.Content.ReadFromJsonAsync<WebhookSecretView>())!;
        await bus.Publish(new PolicyVersionPublished("privacy-policy", $"v-{Guid.NewGuid():N}", [], DateTimeOffset.UtcNow));
        var after = (await ArrivedAsync(path, 2))[1];
        Assert.Null(latest.PreviousSecretUntil);
        Assert.True(after.VerifiesWith(latest.Secret));
        Assert.False(after.VerifiesWith(rotated.Secret));
        Assert.False(after.VerifiesWith(endpoint.Secret));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task The_secret_is_sealed_at_rest_never_logged_and_rotating_it_changes_the_signature()
    {
        using var client = Backend(NewCaller());
        var path = $"/rotating/{Guid.NewGuid():N}";
        var endpoint = await RegisterAsync(client, Url(path), "policy.published");

        var row = (await factory.QueryAsync($"select row_to_json(w)::text from webhook_endpoints w where endpoint_id = '{endpoint.EndpointId}'")).Single();
        var sealedHex = (await factory.QueryAsync($"select encode(secret_sealed, 'hex') from webhook_endpoints where endpoint_id = '{endpoint.EndpointId}'")).Single();
        Assert.DoesNotContain(endpoint.Secret, row, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(endpoint.Secret, sealedHex, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes(endpoint.Secret)), sealedHex, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexStringLower(Convert.FromHexString(endpoint.Secret)), sealedHex, StringComparison.OrdinalIgnoreCase);

        using var rotate = await client.PostAsync($"/v1/webhooks/{endpoint.EndpointId}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        var rotated = (await rotate.Content.ReadFromJsonAsync<WebhookSecretView>())!;
        Assert.NotEqual(endpoint.Secret, rotated.Secret);

        // A first answer of 500, so that the failure is logged (a warning, which the test host records) with the endpoint.
        factory.Receiver.Script(path, HttpStatusCode.InternalServerError);
        var bus = await factory.TestBusAsync();
        await bus.Publish(new PolicyVersionPublished("privacy-policy", $"v-{Guid.NewGuid():N}", [], DateTimeOffset.UtcNow));
        var call = (await ArrivedAsync(path, 2))[1];
        Assert.True(call.VerifiesWith(rotated.Secret));
        Assert.False(call.VerifiesWith(endpoint.Secret));

        await Eventually.HoldsAsync(() => Task.FromResult(factory.LoggedText.Contains(endpoint.EndpointId.ToString(), StringComparison.Ordinal)),
            TestHelpers.Patience, "the failed attempt is logged");
        var logged = factory.LoggedText;
        Assert.DoesNotContain(endpoint.Secret, logged, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(rotated.Secret, logged, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(path, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(call.Signature, logged, StringComparison.Ordinal);
    }
}

/// <summary>Where a webhook may connect: the internet and this machine; never link-local (cloud metadata), and private networks only when allowed.</summary>
public sealed class WebhookAddressTests
{
    [Theory]
    [InlineData("93.184.216.34", false, true)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", false, true)]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("::1", false, true)]
    [InlineData("10.0.0.1", false, false)]
    [InlineData("10.0.0.1", true, true)]
    [InlineData("172.16.5.4", false, false)]
    [InlineData("172.32.0.1", false, true)]
    [InlineData("192.168.0.1", false, false)]
    [InlineData("fd00::1", false, false)]
    [InlineData("::ffff:192.168.0.1", false, false)]
    [InlineData("169.254.169.254", true, false)]
    [InlineData("fe80::1", true, false)]
    [InlineData("0.0.0.0", true, false)]
    [InlineData("224.0.0.1", true, false)]
    [InlineData("100.64.0.1", true, false)]
    [Trait("Issue", "20")]
    public void Addresses_a_webhook_may_reach(string address, bool allowPrivate, bool allowed) =>
        Assert.Equal(allowed, PrivacySuite.Notifications.Model.Webhooks.AddressAllowed(System.Net.IPAddress.Parse(address), allowPrivate));
}
