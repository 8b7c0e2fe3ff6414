namespace PrivacySuite.Vault.Tests;

/// <summary>
/// A guardian acting for a minor in the privacy centre (issue 20, IWK-3.1) holds the minor's token with the guardian
/// as its actor: the minor's rights requests then take codes sent to the guardian's own verified contact, which only
/// that guardian, acting for that minor, redeems.
/// </summary>
public sealed class WardRequestTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task A_guardian_acting_for_a_minor_gets_the_code_for_the_minors_access_and_is_the_recorded_accessor()
    {
        var (minor, guardian) = await WardAsync("ward-access");
        using var acting = factory.CreatePrivacyCentreClient(minor, actor: guardian);

        using var started = await acting.PostAsJsonAsync($"/v1/subjects/{minor}/verifications", new { request = "access" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();

        // The notice is the guardian's, and the code goes to the guardian's verified address, not the minor's.
        var notice = (await factory.OutboxAsync()).Single(m => m.Payload.Contains(id.ToString(), StringComparison.Ordinal));
        Assert.Equal(guardian, JsonDocument.Parse(notice.Payload).RootElement.GetProperty("subjectId").GetString());
        var (code, channels) = await factory.ReleaseCodeAsync(id);
        Assert.Equal([("email", $"{guardian}@example.cn")], channels);

        using var access = await acting.PostAsJsonAsync($"/v1/subjects/{minor}/access", new { verificationId = id, code });
        Assert.Equal(HttpStatusCode.OK, access.StatusCode);
        var data = await access.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Xiao Ming", data.GetProperty("categories").EnumerateArray().Single(c => c.GetProperty("category").GetString() == "identity")
            .GetProperty("fields").GetProperty("name").GetString());

        // The minor's log names the guardian as the one who asked and read; the request is the minor's, done.
        var log = await factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == minor && (a.Action == "verification" || a.Action == "identity-check"))
            .Select(a => new { a.Action, a.Accessor, a.Outcome }).ToListAsync());
        Assert.Equal([("verification", guardian, "allowed"), ("identity-check", guardian, "allowed")],
            log.Select(a => (a.Action, a.Accessor, a.Outcome)).ToList());
        var requests = await acting.GetFromJsonAsync<List<JsonElement>>($"/v1/subjects/{minor}/requests");
        var request = requests!.Single(r => r.GetProperty("id").GetGuid() == id);
        Assert.Equal(("access", "done"), (request.GetProperty("request").GetString(), request.GetProperty("state").GetString()));
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task A_guardians_code_redeems_for_that_guardian_only_and_the_minors_own_code_not_for_the_guardian()
    {
        var (minor, guardian) = await WardAsync("ward-codes");
        var other = $"ward-other-{Guid.NewGuid():N}";
        await factory.VerifyContactAsync(other);
        await factory.VerifyContactAsync(minor); // the minor has a verified contact of their own
        using var acting = factory.CreatePrivacyCentreClient(minor, actor: guardian);
        using var otherActing = factory.CreatePrivacyCentreClient(minor, actor: other);
        using var minorThemselves = factory.CreatePrivacyCentreClient(minor);
        using var backend = factory.Backend();
        var (guardiansId, guardiansCode) = await factory.StartRequestAsync(acting, minor, "erasure");
        var (minorsId, minorsCode) = await factory.StartRequestAsync(minorThemselves, minor, "erasure");

        using var byMinor = await minorThemselves.PostAsJsonAsync($"/v1/subjects/{minor}/erasure", new { verificationId = guardiansId, code = guardiansCode, reason = "not theirs" });
        using var byBackend = await backend.PostAsJsonAsync($"/v1/subjects/{minor}/erasure", new { verificationId = guardiansId, code = guardiansCode, reason = "not theirs" });
        using var byOther = await otherActing.PostAsJsonAsync($"/v1/subjects/{minor}/erasure", new { verificationId = guardiansId, code = guardiansCode, reason = "not theirs" });
        using var minorsByGuardian = await acting.PostAsJsonAsync($"/v1/subjects/{minor}/erasure", new { verificationId = minorsId, code = minorsCode, reason = "not theirs" });

        foreach (var refused in new[] { byMinor, byBackend, byOther, minorsByGuardian })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("unknown-verification", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        }

        Assert.True(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == minor && s.WrappedKey != null)));

        // The guardian's own code, acting for the minor, erases; the minor's code stays the minor's.
        using var erased = await acting.PostAsJsonAsync($"/v1/subjects/{minor}/erasure", new { verificationId = guardiansId, code = guardiansCode, reason = "my child leaves the service" });
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.Null(await factory.WithDbAsync(db => db.Verifications.Where(v => v.VerificationId == minorsId).Select(v => v.UsedAt).SingleAsync()));
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "20")]
    public async Task No_code_is_sent_for_a_guardian_without_a_verified_contact_of_their_own()
    {
        var minor = $"ward-alone-{Guid.NewGuid():N}";
        await factory.StoreAsync(minor, "identity", new { name = "Xiao Hong" });
        await factory.VerifyContactAsync(minor);
        var guardian = $"ward-unverified-{Guid.NewGuid():N}";
        await factory.StoreAsync(guardian, "contact", new { email = $"{guardian}@example.cn" }); // stored, never proved
        using var acting = factory.CreatePrivacyCentreClient(minor, actor: guardian);
        var outbox = (await factory.OutboxAsync()).Count;

        using var started = await acting.PostAsJsonAsync($"/v1/subjects/{minor}/verifications", new { request = "export" });

        Assert.Equal(HttpStatusCode.Conflict, started.StatusCode);
        var problem = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("no-verified-contact", problem.GetProperty("reason").GetString());
        Assert.Contains("guardian", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(outbox, (await factory.OutboxAsync()).Count); // no notice, so no code to the minor either
    }

    /// <summary>A minor with data in the vault and a guardian with a verified contact of their own.</summary>
    private async Task<(string Minor, string Guardian)> WardAsync(string prefix)
    {
        var minor = $"{prefix}-minor-{Guid.NewGuid():N}";
        var guardian = $"{prefix}-guardian-{Guid.NewGuid():N}";
        await factory.StoreAsync(minor, "identity", new { name = "Xiao Ming" });
        await factory.VerifyContactAsync(guardian);
        return (minor, guardian);
    }
}
