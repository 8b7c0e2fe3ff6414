namespace PrivacySuite.Vault.Tests;

public sealed class ResidencyTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private static Task<HttpResponseMessage> TransferAsync(HttpClient client, string subjectId, string country, string recipient = "Acme Analytics GmbH",
        string purpose = "service.provide", string category = "usage") =>
        client.PostAsJsonAsync($"/v1/subjects/{subjectId}/transfers",
            new { destinationCountry = country, recipient, purpose, categories = new[] { category } });

    private static async Task<string?> ReasonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("reason", out var r) ? r.GetString() : null;

    [Fact]
    [Trait("Clause", "IWK-2.4")]
    public async Task Export_abroad_needs_separate_consent_and_a_recorded_basis_and_every_attempt_is_logged()
    {
        await factory.StoreAsync("xb-1", "usage", new { pages = "home" }, "collected");
        await factory.GrantAsync("xb-1", "service.provide");
        using var client = factory.Backend();
        using var officer = factory.Officer();

        using var inChina = await TransferAsync(client, "xb-1", "CN", "Guangzhou branch");
        using var noConsent = await TransferAsync(client, "xb-1", "DE");
        await factory.GrantAsync("xb-1", "transfer.cross-border");
        using var noBasis = await TransferAsync(client, "xb-1", "DE");
        using var basis = await officer.PutAsJsonAsync("/v1/transfer-bases",
            new { destinationCountry = "DE", recipient = "Acme Analytics GmbH", mechanism = "standard-contract", reference = "CAC-SCC-2026-042" });
        using var allowed = await TransferAsync(client, "xb-1", "DE");
        using var otherRecipient = await TransferAsync(client, "xb-1", "DE", "Someone Else AG");

        Assert.Equal(HttpStatusCode.OK, inChina.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, noConsent.StatusCode);
        var refusal = await noConsent.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("no-cross-border-consent", refusal.GetProperty("reason").GetString());
        // The refusal names the purposes that let it pass, each in the catalogue, so the subject can grant one.
        Assert.Equal(["transfer.cross-border", "iwalk.transfer.cross-border"], refusal.GetProperty("purposes").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("'transfer.cross-border'", refusal.GetProperty("detail").GetString());
        Assert.All(refusal.GetProperty("purposes").EnumerateArray(), p => Assert.True(ConsentStandIn.SeedCatalogue.ContainsKey(p.GetString()!)));
        Assert.Equal(HttpStatusCode.Forbidden, noBasis.StatusCode);
        Assert.Equal("no-transfer-basis", await ReasonAsync(noBasis));
        Assert.Equal(HttpStatusCode.OK, basis.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains("home", await allowed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, otherRecipient.StatusCode);

        var attempts = await factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == "xb-1" && a.Action == "transfer")
            .OrderBy(a => a.Position).Select(a => a.Outcome + " " + a.Detail).ToListAsync());
        Assert.Equal(5, attempts.Count);
        Assert.Equal(["allowed", "denied", "denied", "allowed", "denied"], attempts.Select(a => a.Split(' ')[0]));
        Assert.All(attempts, a => Assert.Contains("country=", a));
    }

    [Fact]
    [Trait("Clause", "IWK-2.4")]
    public async Task Export_abroad_takes_the_cross_border_purpose_of_either_policy_and_only_the_categories_it_gives()
    {
        await factory.StoreAsync("xb-3", "usage", new { rides = "12" }, "collected");
        await factory.StoreAsync("xb-3", "location", new { gps = "22.5431,114.0579" }, "collected");
        await factory.GrantAsync("xb-3", "iwalk.service.provide");
        await factory.GrantAsync("xb-3", "iwalk.transfer.cross-border"); // a subject of the iwalk-scooter policy
        using var officer = factory.Officer();
        using var basis = await officer.PutAsJsonAsync("/v1/transfer-bases",
            new { destinationCountry = "SG", recipient = "Ride Partner Pte", mechanism = "certification", reference = "CERT-2026-7" });
        using var client = factory.Backend();

        using var usage = await TransferAsync(client, "xb-3", "SG", "Ride Partner Pte", "iwalk.service.provide", "usage");
        // Location tracks are not among the categories the subject consented to send abroad, whatever the read's purpose gives.
        using var location = await TransferAsync(client, "xb-3", "SG", "Ride Partner Pte", "iwalk.service.provide", "location");

        Assert.Equal(HttpStatusCode.OK, basis.StatusCode);
        Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
        Assert.Contains("12", await usage.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, location.StatusCode);
        Assert.Equal("category-not-for-purpose", await ReasonAsync(location));
        Assert.DoesNotContain("22.5431", await location.Content.ReadAsStringAsync());
        var attempts = await factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == "xb-3" && a.Action == "transfer")
            .OrderBy(a => a.Position).Select(a => a.Outcome + " " + a.Detail).ToListAsync());
        Assert.Equal(["allowed", "denied"], attempts.Select(a => a.Split(' ')[0]));
        Assert.EndsWith("reason=category-not-for-purpose", attempts[1]);
    }

    [Fact]
    [Trait("Clause", "IWK-2.4")]
    [Trait("Clause", "IWK-1.3")]
    public async Task An_export_reads_only_what_its_purpose_may_and_a_basis_carries_it_only_for_its_purposes()
    {
        await factory.StoreAsync("xb-4", "contact", new { email = "xb-4@example.cn" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        await factory.GrantAsync("xb-4", "transfer.cross-border");
        using var officer = factory.Officer();
        using var basis = await officer.PutAsJsonAsync("/v1/transfer-bases",
            new { destinationCountry = "JP", recipient = "Courier KK", mechanism = "standard-contract", reference = "SCC-2026-9" });
        using var client = factory.Backend();

        using var forDelivery = await TransferAsync(client, "xb-4", "JP", "Courier KK", "delivery.offline", "contact");
        // The contract does not cover sharing: that export needs the subject's consent to sharing.third-party too.
        using var forSharing = await TransferAsync(client, "xb-4", "JP", "Courier KK", "sharing.third-party", "contact");
        using var forOffers = await TransferAsync(client, "xb-4", "JP", "Courier KK", "offers.relevant", "contact");

        Assert.Equal(HttpStatusCode.OK, forDelivery.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forSharing.StatusCode);
        Assert.Equal("no-consent", await ReasonAsync(forSharing));
        Assert.Equal(HttpStatusCode.Forbidden, forOffers.StatusCode);
        Assert.Equal("category-not-for-purpose", await ReasonAsync(forOffers));
    }

    [Fact]
    [Trait("Clause", "IWK-2.4")]
    public async Task Bad_transfer_requests_are_refused_and_only_privacy_officers_record_bases()
    {
        using var client = factory.Backend();

        using var badCountry = await TransferAsync(client, "xb-2", "Germany");
        using var badMechanism = await factory.Officer().PutAsJsonAsync("/v1/transfer-bases",
            new { destinationCountry = "US", recipient = "R", mechanism = "handshake", reference = "x" });
        using var byBackend = await client.PutAsJsonAsync("/v1/transfer-bases",
            new { destinationCountry = "US", recipient = "R", mechanism = "standard-contract", reference = "x" });

        Assert.Equal(HttpStatusCode.BadRequest, badCountry.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badMechanism.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.False(await factory.WithDbAsync(db => db.TransferBases.AnyAsync(b => b.DestinationCountry == "US")));
    }
}
