using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivacySuite.Client;
using PrivacySuite.FailoverDrill;
using ScooterBackend;
using Xunit.Abstractions;

namespace PrivacySuite.Suite.Tests;

/// <summary>
/// The SDK as a product backend uses it (issue 20.2): the sample scooter backend, hosted in this process on a free port,
/// pointed at the running suite's two regions, driven through its riders' journeys. No topology of its own: it shares the
/// suite collection's.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed partial class SdkSampleTests(SuiteFixture fixture, ITestOutputHelper output)
{
    private RunningSuite Suite => fixture.Suite;

    [Fact]
    [Order(1)]
    [Trait("Issue", "20")]
    public async Task A_rider_signs_up_is_checked_before_each_use_of_their_data_and_gets_an_export_through_the_sample_backend()
    {
        await fixture.AllHealthyAsync();
        await using var backend = await StartBackendAsync();
        using var app = new HttpClient { BaseAddress = backend.Address, Timeout = TimeSpan.FromSeconds(60) };
        var run = Guid.NewGuid().ToString("N")[..10];
        var email = $"rider-{run}@example.cn";

        // Bad input is the backend's own 400, and nothing reaches the suite.
        using (var bad = await app.PostAsJsonAsync("/riders", new { email = "not-an-address", language = "fr" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.True(errors.TryGetProperty("email", out _) && errors.TryGetProperty("language", out _));
        }

        // Sign-up: registered with consent, the essential purpose granted, the e-mail address stored in the vault.
        string rider;
        using (var signedUp = await app.PostAsJsonAsync("/riders", new { email, language = "en" }))
        {
            Assert.True(signedUp.StatusCode == HttpStatusCode.Created, await signedUp.Content.ReadAsStringAsync());
            rider = (await signedUp.Content.ReadFromJsonAsync<SignedUp>())!.RiderId;
        }

        // A receipt: consent checked, the e-mail address read for the service purpose.
        var receipt = await app.PostAsync($"/riders/{rider}/receipts", null);
        Assert.True(receipt.StatusCode == HttpStatusCode.OK, await receipt.Content.ReadAsStringAsync());
        Assert.Equal(email, (await receipt.Content.ReadFromJsonAsync<ReceiptSent>())!.SentTo);

        // Recommendations need personalisation, which the rider has not agreed to: refused before the vault is asked.
        using (var ride = await app.PostAsJsonAsync($"/riders/{rider}/rides", new { minutes = 17 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, ride.StatusCode);
        }

        await AssertRefusedAsync(app, rider, "no-consent");
        Assert.Equal(HttpStatusCode.NoContent, (await app.PostAsync($"/riders/{rider}/consents/{ScooterApp.PersonalisationPurpose}", null)).StatusCode);
        using (var recommended = await app.GetAsync($"/riders/{rider}/recommendations"))
        {
            Assert.True(recommended.StatusCode == HttpStatusCode.OK, await recommended.Content.ReadAsStringAsync());
            Assert.Equal("17", (await recommended.Content.ReadFromJsonAsync<Recommendation>())!.LastRideMinutes);
        }

        // Withdrawn through the same client: the next check is refused at once, whatever the local cache held.
        Assert.Equal(HttpStatusCode.NoContent, (await app.DeleteAsync($"/riders/{rider}/consents/{ScooterApp.PersonalisationPurpose}")).StatusCode);
        await AssertRefusedAsync(app, rider, "consent-withdrawn");

        // The export: the e-mail address proven with a mailed code, then the export's own code.
        using var mail = new HttpClient { BaseAddress = Suite.Endpoint($"maildev-{Suite.Primary}", "web") };
        var proof = await StartedAsync(await app.PostAsync($"/riders/{rider}/email-verifications", null));
        var proofCode = await CodeAsync(mail, email, seen: 0);
        using (var verified = await app.PostAsJsonAsync($"/riders/{rider}/verified-email", new { verificationId = proof, code = proofCode }))
        {
            Assert.True(verified.StatusCode == HttpStatusCode.NoContent, await verified.Content.ReadAsStringAsync());
        }

        var export = await StartedAsync(await app.PostAsync($"/riders/{rider}/export-requests", null));
        var exportCode = await CodeAsync(mail, email, seen: 1);
        using (var wrong = await app.PostAsJsonAsync($"/riders/{rider}/exports", new { verificationId = export, code = exportCode == "000000" ? "111111" : "000000" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
            Assert.Equal("vault", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("service").GetString());
        }

        using var exported = await app.PostAsJsonAsync($"/riders/{rider}/exports", new { verificationId = export, code = exportCode });
        Assert.True(exported.StatusCode == HttpStatusCode.OK, await exported.Content.ReadAsStringAsync());
        var data = (await exported.Content.ReadFromJsonAsync<SubjectExport>())!;
        Assert.Equal(rider, data.SubjectId);
        Assert.Equal("privacysuite-subject-export/v1", data.Format);
        Assert.Contains(data.Values, v => v is { Category: "contact", Field: "email" } && v.Value == email);
        Assert.Contains(data.Values, v => v is { Category: "usage", Field: "last_ride_minutes", Value: "17" });
    }

    [Fact]
    [Order(2)]
    [Trait("Issue", "20")]
    public async Task A_read_goes_to_the_standby_region_when_the_primary_does_not_answer_and_a_write_does_not()
    {
        await fixture.AllHealthyAsync();
        var moves = new List<RegionFallback>();
        var services = new ServiceCollection();
        services.AddPrivacySuiteClient(o =>
        {
            o.ApiKey = Suite.Credentials.ProductBackendApiKey;
            // Nothing listens on the primary's port: every connection to it is refused.
            o.Consent.BaseAddress = new Uri($"http://127.0.0.1:{DeadPort()}/");
            o.Consent.StandbyAddress = Suite.Endpoint($"consent-{Suite.Standby}");
            o.Consent.AttemptTimeout = TimeSpan.FromSeconds(15);
            o.Consent.OnRegionFallback = moves.Add;
        });
        await using var provider = services.BuildServiceProvider();
        var consent = provider.GetRequiredService<ConsentClient>();

        var purposes = await consent.ListPurposesAsync("iwalk-scooter");
        var check = await consent.CheckAsync($"never-registered-{Guid.NewGuid():N}"[..30], ScooterApp.ServicePurpose);
        var write = await Assert.ThrowsAsync<HttpRequestException>(() => consent.RegisterSubjectAsync(new RegisterSubject($"nope-{Guid.NewGuid():N}"[..20], "iwalk-scooter", AgeBand: "18-plus")));

        Assert.Contains(purposes, p => p.Code == ScooterApp.ServicePurpose);
        Assert.Equal(("unknown-subject", false), (check.Reason, check.Allowed));
        Assert.Equal(2, moves.Count);
        Assert.All(moves, m => Assert.Equal(("ConnectionRefused", true, Suite.Endpoint($"consent-{Suite.Standby}")), (m.Reason, m.FromPrimary, m.To)));
        Assert.Equal(HttpRequestError.ConnectionError, write.HttpRequestError);
        Assert.Equal(2, moves.Count); // the write was not sent to the standby
    }

    [Fact]
    [Order(2)]
    [Trait("Clause", "IWK-2.2")]
    public async Task A_rider_who_shares_routes_sees_the_last_one_until_they_stop_sharing()
    {
        await fixture.AllHealthyAsync();
        await using var backend = await StartBackendAsync();
        using var app = new HttpClient { BaseAddress = backend.Address, Timeout = TimeSpan.FromSeconds(60) };
        string rider;
        using (var signedUp = await app.PostAsJsonAsync("/riders", new { email = $"routes-{Guid.NewGuid():N}"[..20] + "@example.cn", language = "zh-CN" }))
        {
            Assert.True(signedUp.StatusCode == HttpStatusCode.Created, await signedUp.Content.ReadAsStringAsync());
            rider = (await signedUp.Content.ReadFromJsonAsync<SignedUp>())!.RiderId;
        }

        const string route = "39.9042,116.4074;39.9163,116.3972";
        Assert.Equal(HttpStatusCode.NoContent, (await app.PostAsync($"/riders/{rider}/route-sharing", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.PostAsJsonAsync($"/riders/{rider}/rides", new { minutes = 9, route })).StatusCode);

        // The vault reads it for the service with the rider's separate consent and the backend's step-up token.
        string? shown = null;
        await Eventually.HoldsAsync(async () =>
        {
            using var last = await app.GetAsync($"/riders/{rider}/rides/last/route");
            shown = last.StatusCode == HttpStatusCode.OK ? (await last.Content.ReadFromJsonAsync<LastRoute>())!.Route : null;
            return shown is not null;
        }, TimeSpan.FromSeconds(30), "the last route is shown");
        Assert.Equal(route, shown);

        // The rider stops sharing: the vault refuses the route, the service itself goes on.
        Assert.Equal(HttpStatusCode.NoContent, (await app.DeleteAsync($"/riders/{rider}/route-sharing")).StatusCode);
        string? reason = null;
        await Eventually.HoldsAsync(async () =>
        {
            using var last = await app.GetAsync($"/riders/{rider}/rides/last/route");
            reason = last.StatusCode == HttpStatusCode.Forbidden ? (await last.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString() : null;
            return reason is not null and not "consent-changing";
        }, TimeSpan.FromSeconds(30), "the route is refused once the rider stops sharing");
        Assert.Equal("separate-consent-required", reason);
        using var receipt = await app.PostAsync($"/riders/{rider}/receipts", null);
        Assert.Equal(HttpStatusCode.OK, receipt.StatusCode);
    }

    private async Task AssertRefusedAsync(HttpClient app, string rider, string reason)
    {
        using var refused = await app.GetAsync($"/riders/{rider}/recommendations");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(reason, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
    }

    private static async Task<Guid> StartedAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<Started>())!.VerificationId;
        }
    }

    /// <summary>The code of the next verification mail to <paramref name="address"/>, after the <paramref name="seen"/> before it.</summary>
    private async Task<string> CodeAsync(HttpClient mail, string address, int seen)
    {
        List<ReceivedMail> received = [];
        await Eventually.HoldsAsync(async () =>
        {
            var all = await mail.GetFromJsonAsync<List<ReceivedMail>>("email") ?? [];
            received = all.Where(m => m.To.Any(t => t.Address == address) && m.Subject == "Your verification code").ToList();
            return received.Count > seen;
        }, TimeSpan.FromSeconds(60), $"verification mail {seen + 1} reaches the rider");
        output.WriteLine($"verification mail {seen + 1} arrived");
        return CodePattern().Match(received[seen].Text ?? "").Groups[1].Value;
    }

    [GeneratedRegex(@"code is (\d+)\.")]
    private static partial Regex CodePattern();

    private static int DeadPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // freed on dispose; nothing listens there afterwards
    }

    private async Task<HostedBackend> StartBackendAsync()
    {
        var app = ScooterApp.Build([], new Dictionary<string, string?>
        {
            ["PrivacySuite:ApiKey"] = Suite.Credentials.ProductBackendApiKey,
            ["PrivacySuite:Consent:BaseAddress"] = Suite.Endpoint($"consent-{Suite.Primary}").ToString(),
            ["PrivacySuite:Consent:StandbyAddress"] = Suite.Endpoint($"consent-{Suite.Standby}").ToString(),
            ["PrivacySuite:Vault:BaseAddress"] = Suite.Endpoint($"vault-{Suite.Primary}").ToString(),
            ["PrivacySuite:Vault:StandbyAddress"] = Suite.Endpoint($"vault-{Suite.Standby}").ToString(),
            ["PrivacySuite:Vault:Caller"] = PrivacySuite.ServiceDefaults.Auth.DevCredentials.ProductBackendName,
            ["PrivacySuite:Vault:StepUpKey"] = Suite.Credentials.ProductBackendStepUpKey,
            // The sign-up is the first call to consent's and the vault's write paths since the suite started: on 2 cores
            // running both regions, it took more than the SDK's default 2 s at times (TimeoutRejectedException, a 500
            // from the backend), and a write without an Idempotency-Key is never retried.
            ["PrivacySuite:AttemptTimeout"] = "00:00:15",
        });
        // The backend's warnings and errors (an unhandled exception behind a 500, say) go to the test's output.
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(new LineLoggerProvider(line =>
        {
            try
            {
                output.WriteLine($"sample backend {line}");
            }
            catch (InvalidOperationException)
            {
                // Logged after the test ended (while the backend stops): nobody to tell.
            }
        }, LogLevel.Warning));
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new HostedBackend(app, new Uri(address));
    }

    private sealed record HostedBackend(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
