extern alias consent;
extern alias vault;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Testing;
using VaultKeys = vault::PrivacySuite.Vault.Crypto.SubjectKeyStore;

namespace PrivacySuite.Retention.Tests;

/// <summary>Another real service on its own database, on the retention service's virtual host: one broker between them.</summary>
public abstract class OnSharedBroker<TProgram>(string databaseName, string rabbitMq, DevCredentials? credentials = null)
    : ServiceFactory<TProgram>(databaseName, credentials: credentials)
    where TProgram : class
{
    public override Task InitializeAsync()
    {
        SharedBroker = rabbitMq;
        return base.InitializeAsync();
    }
}

/// <summary>The real consent service: it tells retention about minors who consented without a guardian (IWK-3.3).</summary>
public sealed class ConsentHost(string rabbitMq) : OnSharedBroker<consent::Program>("consentdb", rabbitMq)
{
    public override Task InitializeAsync()
    {
        Settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.200";
        // A registration flow here has two seconds, not a day, to obtain a minor's guardian consent.
        Settings["PrivacySuite:Consent:MinorGuardianConsentGrace"] = "00:00:02";
        Settings["PrivacySuite:Consent:MinorCheckInterval"] = "00:00:00.200";
        return base.InitializeAsync();
    }
}

/// <summary>The real vault, asking the real consent service (it shares its credentials) for the purpose catalogue.</summary>
public sealed class VaultHost(string rabbitMq, ConsentHost consent) : OnSharedBroker<vault::Program>("vaultdb", rabbitMq, consent.Credentials)
{
    /// <summary>What each category is stored under with the contract basis: a catalogue purpose that reads it.</summary>
    private static readonly Dictionary<string, string> ContractPurposes = new()
    {
        ["identity"] = "service.provide", ["contact"] = "service.provide", ["usage"] = "service.provide", ["location"] = "personalisation",
    };

    public string KeyDirectory { get; } = Path.Combine(Path.GetTempPath(), "vault-keys-" + Guid.NewGuid().ToString("N"), "keys");

    public override Task InitializeAsync()
    {
        Settings["PrivacySuite:Vault:KeyDirectory"] = KeyDirectory;
        Settings["PrivacySuite:Outbox:PollInterval"] = "00:00:00.200";
        Settings["services:consent:http:0"] = "http://127.0.0.1:9"; // never dialled: the handler below goes to the consent host
        return base.InitializeAsync();
    }

    // Values here are stored under the contract basis for service.provide, so reads for it ask the consent service only
    // for its catalogue.
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddHttpClient(vault::PrivacySuite.Vault.Infrastructure.ConsentGate.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => consent.Server.CreateHandler()));
    }

    public async Task<Dictionary<string, string>> StoreAsync(string subjectId, string category, object fields, string legalBasis = "contract")
    {
        using var client = CreateProductBackendClient();
        string[]? purposes = legalBasis == "consent" ? null : [ContractPurposes[category]];
        using var response = await client.PostAsJsonAsync($"/v1/subjects/{subjectId}/data", new { category, source = "provided", legalBasis, purposes, fields });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").Deserialize<Dictionary<string, string>>()!;
    }

    /// <summary>What a product backend sees when it detokenises <paramref name="token"/>: the value, or the refusal's reason.</summary>
    public async Task<(HttpStatusCode Status, string? ValueOrReason)> ReadAsync(string token)
    {
        using var client = CreateProductBackendClient();
        using var response = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose = "service.provide" });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.StatusCode == HttpStatusCode.OK
            ? (response.StatusCode, body.GetProperty("values")[0].GetProperty("value").GetString())
            : (response.StatusCode, body.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
    }

    public int KeyGeneration(string subjectId)
    {
        using var scope = Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<vault::PrivacySuite.Vault.Infrastructure.VaultDbContext>();
        return db.Subjects.Where(s => s.SubjectId == subjectId).Select(s => s.KeyGeneration).Single();
    }
}

/// <summary>
/// Retention with the real vault answering its requests and the real consent service; the far side still records
/// notices, but no longer answers as the vault.
/// </summary>
public sealed class RetentionWithVaultFactory : RetentionFactory
{
    public VaultHost Vault { get; private set; } = null!;

    public ConsentHost Consent { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        FarSide.AnswersAsVault = false;
        Consent = new ConsentHost(RabbitMqConnectionString);
        await Consent.InitializeAsync();
        Vault = new VaultHost(RabbitMqConnectionString, Consent);
        await Vault.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        if (Consent is not null)
        {
            await Consent.DisposeAsync();
        }

        if (Vault is not null)
        {
            await Vault.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

/// <summary>A real sweep through the real vault: what retention decides is what the vault removes, and each answer closes its sweep item.</summary>
public sealed class VaultSweepTests(RetentionWithVaultFactory factory) : IClassFixture<RetentionWithVaultFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.5")]
    [Trait("Clause", "INF-6.4")]
    public async Task A_sweep_through_the_vault_erases_and_anonymises_what_is_due_keeps_what_is_held_and_completes_every_item()
    {
        var vault = factory.Vault;
        var cancelled = Helpers.NewSubject("e2e-cancelled");
        var held = Helpers.NewSubject("e2e-held");
        var active = Helpers.NewSubject("e2e-active");
        var aged = Helpers.NewSubject("e2e-aged");
        var cancelledTokens = (await vault.StoreAsync(cancelled, "identity", new { name = "Qian Canary" }))
            .Concat(await vault.StoreAsync(cancelled, "contact", new { email = "qian-canary@example.cn" })).ToDictionary();
        var heldTokens = await vault.StoreAsync(held, "contact", new { email = "held-canary@example.cn" });
        var activeTokens = await vault.StoreAsync(active, "contact", new { email = "active-canary@example.cn" });
        var agedContact = await vault.StoreAsync(aged, "contact", new { phone = "+86 135 0000 0077" });
        var agedLocation = await vault.StoreAsync(aged, "location", new { gps = "31.2304,121.4737" });
        var agedUsage = await vault.StoreAsync(aged, "usage", new { pages = "17" });
        // The vault announced every value; retention's inventory is filled by those events alone.
        foreach (var (subject, count) in new[] { (cancelled, 2), (held, 1), (active, 1), (aged, 3) })
        {
            await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32() == count,
                Helpers.Delivery, $"retention took stock of {subject}");
        }

        await factory.FarSide.PublishAsync(new AccountCancelled(cancelled, factory.Clock.GetUtcNow()));
        await factory.FarSide.PublishAsync(new AccountCancelled(held, factory.Clock.GetUtcNow()));
        await Helpers.PlaceHoldAsync(factory, held, null, "complaint-or-dispute");
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, held)).GetProperty("cancelledAt").ValueKind != JsonValueKind.Null,
            Helpers.Delivery, "the cancellation clocks started");

        // Past the cancellation month, the location (90 d) and the usage (180 d) schedules.
        factory.Clock.Advance(TimeSpan.FromDays(200));
        await Helpers.SweepAsync(factory);

        await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>(
                $"select count(*) from sweep_items where {Involving(cancelled, aged)} and state = 'requested'") == 0,
            Helpers.Delivery, "the vault answered every request of the sweep");
        // One request for the cancelled subject as a whole, one for the aged subject's location and one for its usage.
        Assert.Equal(3, await factory.ScalarAsync<long>($"select count(*) from sweep_items where {Involving(cancelled, aged)} and state = 'done' and refused_subjects = '{{}}'"));
        // The held subject is in no request; the active one only among the subjects a schedule's request names (the vault
        // finds nothing of theirs it covers), never by tokens or as a whole.
        Assert.Equal(0, await factory.ScalarAsync<long>($"select count(*) from sweep_items where {Involving(held)}"));
        Assert.Equal(0, await factory.ScalarAsync<long>($"select count(*) from sweep_items where {Involving(active)} and stored_before is null"));

        // The cancelled subject: unreadable in the vault, its key file gone, a certificate and a notice in retention.
        foreach (var token in cancelledTokens.Values)
        {
            Assert.Equal((HttpStatusCode.Forbidden, "erased"), await vault.ReadAsync(token));
        }

        Assert.False(new VaultKeys(vault.KeyDirectory).Exists(cancelled, 1));
        var status = await Helpers.SubjectAsync(factory, cancelled);
        Assert.NotEqual(JsonValueKind.Null, status.GetProperty("erasedAt").ValueKind);
        Assert.Equal(0, status.GetProperty("activeTokens").GetInt32());
        var certificateId = Assert.Single(status.GetProperty("certificates").EnumerateArray()).GetGuid();
        using var officer = factory.ClientFor(SuiteRoles.PrivacyOfficer);
        var certificate = await officer.GetFromJsonAsync<JsonElement>($"/v1/deletion-certificates/{certificateId}");
        Assert.Equal(["Contact", "Identity"], certificate.GetProperty("categories").EnumerateArray().Select(c => c.GetString()).Order());
        Assert.Equal(["Beijing", "Guangzhou"], certificate.GetProperty("regions").EnumerateArray().Select(c => c.GetString()));
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Notices.Any(n =>
                n.Message.SubjectId == cancelled && n.Message.NoticeType == NoticeTypes.DeletionCertificate && n.Message.Variables["certificateId"] == certificateId.ToString())),
            Helpers.Delivery, "the subject was sent the certificate");

        // The aged subject: location erased, usage anonymised (no longer behind its token), contact kept.
        Assert.Equal(HttpStatusCode.NotFound, (await vault.ReadAsync(agedLocation["gps"])).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await vault.ReadAsync(agedUsage["pages"])).Status);
        Assert.Equal((HttpStatusCode.OK, "+86 135 0000 0077"), await vault.ReadAsync(agedContact["phone"]));
        Assert.Equal(1, (await Helpers.SubjectAsync(factory, aged)).GetProperty("activeTokens").GetInt32());

        // Held and active subjects lose nothing.
        Assert.Equal((HttpStatusCode.OK, "held-canary@example.cn"), await vault.ReadAsync(heldTokens["email"]));
        Assert.Equal((HttpStatusCode.OK, "active-canary@example.cn"), await vault.ReadAsync(activeTokens["email"]));
        Assert.True(new VaultKeys(vault.KeyDirectory).Exists(held, vault.KeyGeneration(held)));
    }

    [Fact]
    [Trait("Clause", "IWK-3.3")]
    public async Task A_minor_found_without_guardian_consent_by_the_consent_service_is_erased_by_the_next_sweep_through_the_vault()
    {
        using var consent = factory.Consent.CreateProductBackendClient();
        using var officer = factory.Consent.CreateClientFor(SuiteRoles.PrivacyOfficer);
        var version = await PublishGuardianAgeAsync(officer, 14);
        var minor = Helpers.NewSubject("e2e-minor");
        using (var registered = await consent.PostAsJsonAsync("/v1/subjects", new
               {
                   subjectId = minor, policyId = "infobird", birthDate = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-16).AddDays(-10),
               }))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using (var granted = await consent.PostAsJsonAsync($"/v1/subjects/{minor}/consents", new
               {
                   purpose = "service.provide", policyVersion = version, collectionMethod = "app-consent-screen", jurisdiction = "CN",
               }))
        {
            Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        }

        var tokens = await factory.Vault.StoreAsync(minor, "contact", new { email = "minor-canary@example.cn" }, legalBasis: "consent");
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, minor)).GetProperty("activeTokens").GetInt32() == 1,
            Helpers.Delivery, "retention took stock of the minor's data");

        // The policy now asks a guardian for everyone under 18: the sixteen-year-old consented alone.
        await PublishGuardianAgeAsync(officer, 18);
        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, minor)).GetProperty("minorDetectedAt").ValueKind != JsonValueKind.Null,
            Helpers.Delivery, "retention heard that the minor has no guardian consent");
        await Helpers.SweepAsync(factory);

        await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>(
                $"select count(*) from sweep_items where '{minor}' = any(subject_ids) and state = 'done' and reason = 'minor-without-guardian-consent' and category is null") == 1,
            Helpers.Delivery, "the vault erased the minor and retention closed the item");
        Assert.Equal((HttpStatusCode.Forbidden, "erased"), await factory.Vault.ReadAsync(tokens["email"]));
        Assert.False(new VaultKeys(factory.Vault.KeyDirectory).Exists(minor, 1));
    }

    [Fact]
    [Trait("Clause", "IWK-3.3")]
    public async Task A_minor_registered_without_any_consent_is_reported_after_the_grace_period_and_erased_by_the_next_sweep_through_the_vault()
    {
        using var consent = factory.Consent.CreateProductBackendClient();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var adult = Helpers.NewSubject("e2e-adult");
        var minor = Helpers.NewSubject("e2e-unconsented");
        foreach (var (subject, birthDate) in new[] { (adult, today.AddYears(-30)), (minor, today.AddYears(-10)) })
        {
            using var registered = await consent.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = "infobird", birthDate });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        // The product stored the ten-year-old's data, but nobody ever consented for them: no consent, no guardian's.
        var minorTokens = await factory.Vault.StoreAsync(minor, "contact", new { email = "unconsented-canary@example.cn" });
        var adultTokens = await factory.Vault.StoreAsync(adult, "contact", new { email = "adult-canary@example.cn" });
        foreach (var subject in new[] { minor, adult })
        {
            await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32() == 1,
                Helpers.Delivery, $"retention took stock of {subject}");
        }

        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, minor)).GetProperty("minorDetectedAt").ValueKind != JsonValueKind.Null,
            Helpers.Delivery, "the consent service reported the minor once the grace period passed");
        Assert.Equal(JsonValueKind.Null, (await Helpers.SubjectAsync(factory, adult)).GetProperty("minorDetectedAt").ValueKind);
        await Helpers.SweepAsync(factory);

        await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>(
                $"select count(*) from sweep_items where '{minor}' = any(subject_ids) and state = 'done' and reason = 'minor-without-guardian-consent' and category is null") == 1,
            Helpers.Delivery, "the vault erased the minor and retention closed the item");
        Assert.Equal((HttpStatusCode.Forbidden, "erased"), await factory.Vault.ReadAsync(minorTokens["email"]));
        Assert.Equal((HttpStatusCode.OK, "adult-canary@example.cn"), await factory.Vault.ReadAsync(adultTokens["email"]));
        Assert.NotEmpty((await Helpers.SubjectAsync(factory, minor)).GetProperty("certificates").EnumerateArray());
    }

    /// <summary>A condition on sweep items: the item is a request for any of <paramref name="subjects"/>, as a whole or for some of their tokens.</summary>
    private static string Involving(params string[] subjects)
    {
        var list = string.Join(',', subjects.Select(s => $"'{s}'"));
        return $"(subject_ids && array[{list}] or token_subjects && array[{list}])";
    }

    private static async Task<string> PublishGuardianAgeAsync(HttpClient consent, int guardianAge)
    {
        var version = $"v{Guid.NewGuid():N}"[..20];
        using var response = await consent.PublishVersionAsync("infobird", new { version, changedPurposes = Array.Empty<string>(), guardianAge });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return version;
    }
}
