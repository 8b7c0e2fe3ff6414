using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;
using Xunit.Abstractions;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Issue 18: a change in consent reaches every place that decides. Each test lets a read be allowed (so that the vault
/// keeps the consent service's answer), makes the change through the real consent service (or the vault, for
/// erasure), and then tries the read on two vault instances until it is refused: the test fails if it is still allowed
/// after <see cref="Bound"/>, and prints how long the change took to reach each.
/// </summary>
public abstract class ConsentFlowTestBase(ConsentFlowFactory factory, ITestOutputHelper output)
{
    /// <summary>Generous on a shared two-core machine: these are not benchmarks. Measured times are printed.</summary>
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    protected ConsentFlowFactory Factory => factory;

    protected ITestOutputHelper Output => output;

    protected HttpClient ConsentBackend() => factory.RealConsent.CreateProductBackendClient();

    protected async Task<string> RegisterAsync(DateOnly birthDate, string policyId = "infobird")
    {
        var subjectId = $"flow-{Guid.NewGuid():N}";
        using var consent = ConsentBackend();
        using var registered = await consent.PostAsJsonAsync("/v1/subjects", new { subjectId, policyId, birthDate });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        return subjectId;
    }

    protected async Task GrantAsync(string subjectId, string purpose, string policyVersion = "1.0")
    {
        using var consent = ConsentBackend();
        using var granted = await consent.PostAsJsonAsync($"/v1/subjects/{subjectId}/consents",
            new { purpose, policyVersion, collectionMethod = "app-consent-screen", jurisdiction = "CN" });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
    }

    /// <summary>An adult subject with consent to <paramref name="purposes"/> and one consent-based usage value in the vault (a category every purpose used here reads).</summary>
    protected async Task<(string Subject, string Token)> SubjectWithDataAsync(params string[] purposes)
    {
        var subjectId = await RegisterAsync(new DateOnly(1990, 5, 17));
        foreach (var purpose in purposes)
        {
            await GrantAsync(subjectId, purpose);
        }

        var tokens = await factory.StoreAsync(subjectId, "usage", new { pages = "home,cart" }, "collected");
        return (subjectId, tokens["pages"]);
    }

    protected static async Task<HttpResponseMessage> ReadAsync(HttpClient vault, string token, string purpose) =>
        await vault.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose });

    /// <summary>Reads on both instances until allowed (the grant's event may still be on its way), so each keeps nothing stale.</summary>
    protected async Task AllowedEverywhereAsync(string token, string purpose)
    {
        foreach (var vault in new[] { factory.Backend(), factory.SecondBackend() })
        {
            using (vault)
            {
                await Eventually.HoldsAsync(async () =>
                {
                    using var read = await ReadAsync(vault, token, purpose);
                    return read.StatusCode == HttpStatusCode.OK;
                }, Bound, $"a read for {purpose} is allowed");
            }
        }
    }

    /// <summary>
    /// Tries the read on both vault instances from <paramref name="since"/> until each refuses it; fails if either still
    /// allows it after <see cref="Bound"/>. Returns each instance's time and the first refusal's reason.
    /// </summary>
    protected async Task<(TimeSpan First, TimeSpan Second, string Reason)> UntilRefusedAsync(string token, string purpose, Stopwatch since, string change)
    {
        var times = new TimeSpan[2];
        var reason = "";
        var vaults = new[] { factory.Backend(), factory.SecondBackend() };
        try
        {
            for (var i = 0; i < vaults.Length; i++)
            {
                while (true)
                {
                    using var read = await ReadAsync(vaults[i], token, purpose);
                    if (read.StatusCode == HttpStatusCode.Forbidden)
                    {
                        times[i] = since.Elapsed;
                        reason = reason.Length > 0 ? reason : (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString()!;
                        break;
                    }

                    Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                    Assert.True(since.Elapsed < Bound, $"vault instance {i + 1} still allowed a read for {purpose} {since.Elapsed.TotalSeconds:0.0} s after {change}");
                    await Task.Delay(20);
                }
            }
        }
        finally
        {
            foreach (var vault in vaults)
            {
                vault.Dispose();
            }
        }

        output.WriteLine($"{change} reached the vault's decision for {purpose}: instance 1 refused after {times[0].TotalMilliseconds:0} ms, " +
                         $"instance 2 after {times[1].TotalMilliseconds:0} ms (reason {reason})");
        return (times[0], times[1], reason);
    }

    /// <summary>Publishes <paramref name="message"/> as the consent service's relay would, and waits until the vault's inbox claimed it.</summary>
    protected async Task DeliverToVaultAsync<T>(T message, Guid messageId, string consumer)
        where T : class
    {
        await (await factory.TestBusAsync()).Publish(message, context => context.MessageId = messageId);
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.Database
                .SqlQuery<int>($"select count(*)::int as \"Value\" from inbox_messages where message_id = {messageId} and consumer = {consumer}").SingleAsync()
                .ContinueWith(t => t.Result == 1)),
            Bound, $"the vault's {consumer} took message {messageId}");
    }

    /// <summary>The first column of the first row of <paramref name="sql"/> on the consent service's database.</summary>
    protected async Task<object?> ConsentScalarAsync(string sql, string subjectId)
    {
        await using var connection = new NpgsqlConnection(factory.RealConsent.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = subjectId });
        return await command.ExecuteScalarAsync();
    }
}

public sealed class ConsentFlowTests(ConsentFlowFactory factory, ITestOutputHelper output)
    : ConsentFlowTestBase(factory, output), IClassFixture<ConsentFlowFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task Cancelling_the_account_refuses_reads_for_every_purpose_the_essential_one_included()
    {
        var (subject, token) = await SubjectWithDataAsync("service.provide", "personalisation");
        await AllowedEverywhereAsync(token, "service.provide");
        await AllowedEverywhereAsync(token, "personalisation");

        using var consent = ConsentBackend();
        using var cancelled = await consent.PostAsync($"/v1/subjects/{subject}/cancellation", null);
        var since = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);

        var essential = await UntilRefusedAsync(token, "service.provide", since, "Account cancellation");
        await UntilRefusedAsync(token, "personalisation", since, "Account cancellation");
        Assert.Equal("no-consent", essential.Reason);
    }

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task Withdrawing_consent_refuses_the_next_reads_for_that_purpose()
    {
        var (subject, token) = await SubjectWithDataAsync("personalisation", "service.optimisation");
        await AllowedEverywhereAsync(token, "personalisation");
        await AllowedEverywhereAsync(token, "service.optimisation");

        using var consent = ConsentBackend();
        using var withdrawn = await consent.DeleteAsync($"/v1/subjects/{subject}/consents/personalisation");
        var since = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);

        await UntilRefusedAsync(token, "personalisation", since, "Withdrawal");
        using var vault = Factory.Backend();
        using var other = await ReadAsync(vault, token, "service.optimisation");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode); // the other purpose is untouched
    }

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task A_late_or_redelivered_grant_after_a_withdrawal_never_allows_again()
    {
        var (subject, token) = await SubjectWithDataAsync("offers.relevant");
        await AllowedEverywhereAsync(token, "offers.relevant");
        var grantId = (Guid)(await ConsentScalarAsync(
            "select message_id from outbox_messages where message_type like '%ConsentGranted%' and payload->>'subjectId' = $1", subject))!;
        var grantedAt = DateTimeOffset.Parse((string)(await ConsentScalarAsync(
            "select payload->>'grantedAt' from outbox_messages where message_type like '%ConsentGranted%' and payload->>'subjectId' = $1", subject))!,
            System.Globalization.CultureInfo.InvariantCulture);
        using var consent = ConsentBackend();
        using var withdrawn = await consent.DeleteAsync($"/v1/subjects/{subject}/consents/offers.relevant");
        await UntilRefusedAsync(token, "offers.relevant", Stopwatch.StartNew(), "Withdrawal");

        // The grant once more, as a redelivery (same message id), a re-send (a new id), and a copy stamped after the withdrawal.
        var grant = new ConsentGranted(subject, "offers.relevant", "1.0", "app-consent-screen", "CN", grantedAt);
        await (await Factory.TestBusAsync()).Publish(grant, context => context.MessageId = grantId);
        await DeliverToVaultAsync(grant, Guid.NewGuid(), "ForgetDecisionOnConsentGranted");
        await DeliverToVaultAsync(grant with { GrantedAt = DateTimeOffset.UtcNow }, Guid.NewGuid(), "ForgetDecisionOnConsentGranted");

        foreach (var vault in new[] { Factory.Backend(), Factory.SecondBackend() })
        {
            using (vault)
            {
                using var read = await ReadAsync(vault, token, "offers.relevant");
                Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
            }
        }

        Assert.Equal(1L, await Factory.WithDbAsync(db => db.Database
            .SqlQuery<long>($"select count(*) as \"Value\" from inbox_messages where message_id = {grantId}").SingleAsync()));
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public async Task Erasure_refuses_reads_and_reaches_the_consent_service()
    {
        var (subject, token) = await SubjectWithDataAsync("service.provide");
        await AllowedEverywhereAsync(token, "service.provide");

        var since = Stopwatch.StartNew();
        await Factory.PublishAsync(new RemovalsRequested(Guid.NewGuid(), "erase", null, "subject-request", [subject], [], [], DateTimeOffset.UtcNow));
        var (_, _, reason) = await UntilRefusedAsync(token, "service.provide", since, "Erasure");
        using var consent = ConsentBackend();
        await Eventually.HoldsAsync(async () =>
        {
            using var check = await consent.GetAsync($"/v1/consents/check?subjectId={subject}&purpose=service.provide");
            Assert.Equal(HttpStatusCode.OK, check.StatusCode);
            return (await check.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString() == "subject-erased";
        }, Bound, "the consent check answers subject-erased");
        Output.WriteLine($"Erasure reached the consent service's check after {since.ElapsedMilliseconds} ms");

        Assert.Equal("erased", reason);
        Assert.Equal(DBNull.Value, await ConsentScalarAsync("select birth_date from subjects where subject_id = $1", subject));
        Assert.Equal("erased", await ConsentScalarAsync("select status from subjects where subject_id = $1", subject));
    }

    // Issue 18.5 with the real consent service: its catalogue decides which categories a purpose reads and which purposes
    // a basis may cover, and the cross-border purpose a refusal names can be granted.
    [Theory]
    [Trait("Clause", "IWK-2.4")]
    [InlineData("infobird", "service.provide")]
    [InlineData("iwalk-scooter", "iwalk.service.provide")]
    public async Task Export_abroad_passes_once_the_subject_grants_the_purpose_the_refusal_names(string policyId, string servicePurpose)
    {
        var subject = await RegisterAsync(new DateOnly(1988, 3, 9), policyId);
        await GrantAsync(subject, servicePurpose);
        await Factory.StoreAsync(subject, "usage", new { rides = "41" }, "collected");
        using var officer = Factory.Officer();
        using var basis = await officer.PutAsJsonAsync("/v1/transfer-bases",
            new { destinationCountry = "DE", recipient = "Acme Analytics GmbH", mechanism = "standard-contract", reference = "CAC-SCC-2026-042" });
        Assert.Equal(HttpStatusCode.OK, basis.StatusCode);
        using var vault = Factory.Backend();
        Task<HttpResponseMessage> TransferAsync() => vault.PostAsJsonAsync($"/v1/subjects/{subject}/transfers",
            new { destinationCountry = "DE", recipient = "Acme Analytics GmbH", purpose = servicePurpose, categories = new[] { "usage" } });

        using var refused = await TransferAsync();
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var refusal = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("no-cross-border-consent", refusal.GetProperty("reason").GetString());

        // The subject grants what the refusal names: the purpose of their own policy is in the real catalogue and grantable.
        using var consent = ConsentBackend();
        var granted = new List<string>();
        foreach (var purpose in refusal.GetProperty("purposes").EnumerateArray().Select(p => p.GetString()!))
        {
            using var grant = await consent.PostAsJsonAsync($"/v1/subjects/{subject}/consents",
                new { purpose, policyVersion = "1.0", collectionMethod = "separate-consent-screen", jurisdiction = "CN" });
            if (grant.StatusCode == HttpStatusCode.Created)
            {
                granted.Add(purpose);
            }
            else
            {
                Assert.Equal(HttpStatusCode.UnprocessableEntity, grant.StatusCode); // the other policy's
            }
        }

        Assert.Equal([policyId == "infobird" ? "transfer.cross-border" : "iwalk.transfer.cross-border"], granted);
        await Eventually.HoldsAsync(async () =>
        {
            using var transfer = await TransferAsync();
            return transfer.StatusCode == HttpStatusCode.OK && (await transfer.Content.ReadAsStringAsync()).Contains("41", StringComparison.Ordinal);
        }, Bound, "the export abroad passes once the separate consent is granted");
    }

    [Fact]
    [Trait("Clause", "IWK-1.3")]
    [Trait("Clause", "INF-4.1")]
    public async Task The_catalogue_bounds_what_a_basis_covers_and_what_a_purpose_reads()
    {
        var subject = await RegisterAsync(new DateOnly(1991, 7, 1));
        await GrantAsync(subject, "service.provide");
        var delivery = await Factory.StoreAsync(subject, "delivery", new { address = "9 Catalogue Lane" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        var location = await Factory.StoreAsync(subject, "location", new { gps = "39.9042,116.4074" }, "collected");
        using var vault = Factory.Backend();
        using var unknownPurpose = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/data",
            new { category = "contact", source = "provided", legalBasis = "contract", purposes = new[] { "delivery.everywhere" }, fields = new { email = "x@example.cn" } });

        using var forDelivery = await ReadAsync(vault, delivery["address"], "delivery.offline");
        using var deliveryForService = await ReadAsync(vault, delivery["address"], "service.provide");
        using var locationForService = await ReadAsync(vault, location["gps"], "service.provide");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknownPurpose.StatusCode);
        Assert.Equal("unknown-purpose", (await unknownPurpose.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, forDelivery.StatusCode);
        foreach (var refused in new[] { deliveryForService, locationForService })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("category-not-for-purpose", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        }
    }
}

/// <summary>Policy versions change the catalogue for everyone: a database (and factory) of their own.</summary>
public sealed class ConsentFlowPolicyTests(ConsentFlowFactory factory, ITestOutputHelper output)
    : ConsentFlowTestBase(factory, output), IClassFixture<ConsentFlowFactory>
{
    private async Task<string> PublishAsync(object body)
    {
        using var officer = Factory.RealConsent.CreateClientFor(SuiteRoles.PrivacyOfficer);
        using var published = await officer.PublishVersionAsync("infobird", body);
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        return (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetString()!;
    }

    [Fact]
    [Trait("Clause", "INF-4.2")]
    public async Task A_changed_purpose_refuses_reads_until_consent_is_given_again_and_an_old_grant_never_allows()
    {
        var (subject, token) = await SubjectWithDataAsync("offers.relevant");
        await AllowedEverywhereAsync(token, "offers.relevant");

        var version = await PublishAsync(new { version = $"2.{Guid.NewGuid():N}"[..20], changedPurposes = new[] { "offers.relevant" } });
        var since = Stopwatch.StartNew();
        await UntilRefusedAsync(token, "offers.relevant", since, "A policy version changing the purpose");

        // A grant under the old version, arriving late (a re-send after a failover, say): it must not allow again.
        await DeliverToVaultAsync(new ConsentGranted(subject, "offers.relevant", "1.0", "app-consent-screen", "CN", DateTimeOffset.UtcNow),
            Guid.NewGuid(), "ForgetDecisionOnConsentGranted");
        using (var vault = Factory.Backend())
        {
            using var read = await ReadAsync(vault, token, "offers.relevant");
            Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        }

        await GrantAsync(subject, "offers.relevant", version);
        await AllowedEverywhereAsync(token, "offers.relevant");
    }

    [Fact]
    [Trait("Clause", "IWK-3.2")]
    public async Task A_raised_guardian_age_refuses_reads_of_subjects_who_are_minors_now()
    {
        var subject = await RegisterAsync(DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-19).AddDays(-10));
        await GrantAsync(subject, "service.provide");
        var tokens = await Factory.StoreAsync(subject, "device", new { model = "Mi 14" }, "collected");
        await AllowedEverywhereAsync(tokens["model"], "service.provide");

        await PublishAsync(new { version = $"3.{Guid.NewGuid():N}"[..20], guardianAge = 20 });
        var since = Stopwatch.StartNew();
        await UntilRefusedAsync(tokens["model"], "service.provide", since, "A policy version raising the guardian age");
    }
}
