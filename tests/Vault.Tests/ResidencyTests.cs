namespace PrivacySuite.Vault.Tests;

public sealed class ResidencyTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private static Task<HttpResponseMessage> TransferAsync(HttpClient client, string subjectId, string country, string recipient = "Acme Analytics GmbH") =>
        client.PostAsJsonAsync($"/v1/subjects/{subjectId}/transfers",
            new { destinationCountry = country, recipient, purpose = "service.provide", categories = new[] { "usage" } });

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
        Assert.Equal("no-cross-border-consent", await ReasonAsync(noConsent));
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
