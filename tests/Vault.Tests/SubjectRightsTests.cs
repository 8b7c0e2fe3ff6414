using System.Security.Cryptography;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Tests;

public sealed class SubjectRightsTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    /// <summary>Starts a verification and fetches its code as the notification service does (the subject gets a verified contact first).</summary>
    private Task<(Guid Id, string Code)> VerifyAsync(HttpClient client, string subjectId, string request) => factory.StartRequestAsync(client, subjectId, request);

    [Fact]
    [Trait("Clause", "INF-6.1")]
    [Trait("Clause", "INF-6.3")]
    public async Task Access_after_verification_returns_every_category_readable()
    {
        await factory.StoreAsync("acc-1", "identity", new { name = "Zhao Lei" });
        await factory.StoreAsync("acc-1", "contact", new { email = "zhao@example.cn" });
        await factory.StoreAsync("acc-1", "device", new { model = "Honor" }, "collected");
        // Identity is of the highest protection level: the subject asks with their own token (IWK-2.2).
        using var client = factory.CreateClientFor(SuiteRoles.Subject, "acc-1");
        var (id, code) = await VerifyAsync(client, "acc-1", "access");

        using var response = await client.PostAsJsonAsync("/v1/subjects/acc-1/access", new { verificationId = id, code });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var categories = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("categories").EnumerateArray().ToList();
        Assert.Equal(["contact", "device", "identity"], categories.Select(c => c.GetProperty("category").GetString()).Order());
        Assert.Equal("Zhao Lei", categories.Single(c => c.GetProperty("category").GetString() == "identity").GetProperty("fields").GetProperty("name").GetString());
        Assert.Equal("zhao@example.cn", categories.Single(c => c.GetProperty("category").GetString() == "contact").GetProperty("fields").GetProperty("email").GetString());
        Assert.Equal("collected", categories.Single(c => c.GetProperty("category").GetString() == "device").GetProperty("source").GetString());
        Assert.Contains(await factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == "acc-1").Select(a => a.Action).ToListAsync()), a => a == "subject-access");
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task Requests_without_the_right_code_are_refused_and_a_code_is_spent_after_use_or_too_many_tries()
    {
        await factory.StoreAsync("otp-1", "usage", new { visits = "3" }, "collected");
        using var client = factory.Backend();
        var (id, code) = await VerifyAsync(client, "otp-1", "access");
        var wrong = code == "000000" ? "111111" : "000000";

        using var noCode = await client.PostAsJsonAsync("/v1/subjects/otp-1/access", new { verificationId = id });
        using var wrongCode = await client.PostAsJsonAsync("/v1/subjects/otp-1/access", new { verificationId = id, code = wrong });
        using var otherRequest = await client.PostAsJsonAsync("/v1/subjects/otp-1/erasure", new { verificationId = id, code, reason = "no longer a customer" });
        using var right = await client.PostAsJsonAsync("/v1/subjects/otp-1/access", new { verificationId = id, code });
        using var replay = await client.PostAsJsonAsync("/v1/subjects/otp-1/access", new { verificationId = id, code });

        Assert.Equal(HttpStatusCode.Forbidden, noCode.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongCode.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherRequest.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("verification-used", (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "otp-1" && s.ErasedAt != null)));

        var (second, secondCode) = await VerifyAsync(client, "otp-1", "access");
        for (var i = 0; i < 5; i++)
        {
            using var _ = await client.PostAsJsonAsync("/v1/subjects/otp-1/access", new { verificationId = second, code = secondCode == "000000" ? "111111" : "000000" });
        }

        using var afterTries = await client.PostAsJsonAsync("/v1/subjects/otp-1/access", new { verificationId = second, code = secondCode });
        Assert.Equal("too-many-attempts", (await afterTries.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        var stored = await factory.WithDbAsync(db => db.Verifications.SingleAsync(v => v.VerificationId == second));
        Assert.DoesNotContain(secondCode, stored.CodeHash!);
        Assert.Equal(64, stored.CodeHash!.Length);
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task A_person_can_only_ask_about_their_own_data()
    {
        await factory.StoreAsync("own-1", "usage", new { visits = "1" }, "collected");
        await factory.VerifyContactAsync("own-1");
        using var self = factory.CreateClientFor(SuiteRoles.Subject, "own-1");
        using var stranger = factory.CreateClientFor(SuiteRoles.Subject, "own-2");

        using var mine = await self.PostAsJsonAsync("/v1/subjects/own-1/verifications", new { request = "export" });
        using var theirs = await stranger.PostAsJsonAsync("/v1/subjects/own-1/verifications", new { request = "export" });
        using var unknownRequest = await self.PostAsJsonAsync("/v1/subjects/own-1/verifications", new { request = "sell" });

        Assert.Equal(HttpStatusCode.Accepted, mine.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, theirs.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknownRequest.StatusCode);
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public async Task Export_is_machine_readable_json_of_every_value()
    {
        var tokens = await factory.StoreAsync("exp-1", "contact", new { email = "exp@example.cn", language = "en" });
        using var client = factory.CreateClientFor(SuiteRoles.Subject, "exp-1");
        var (id, code) = await VerifyAsync(client, "exp-1", "export");

        using var response = await client.PostAsJsonAsync("/v1/subjects/exp-1/export", new { verificationId = id, code });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var export = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("privacysuite-subject-export/v1", export.GetProperty("format").GetString());
        var values = export.GetProperty("values").EnumerateArray().ToDictionary(v => v.GetProperty("token").GetString()!, v => v.GetProperty("value").GetString());
        Assert.Equal("exp@example.cn", values[tokens["email"]]);
        Assert.Equal("en", values[tokens["language"]]);
    }

    [Fact]
    [Trait("Clause", "INF-6.2")]
    public async Task Rectification_corrects_a_value_with_a_reason_and_keeps_its_token()
    {
        var tokens = await factory.StoreAsync("rect-1", "contact", new { email = "old@example.cn" });
        await factory.GrantAsync("rect-1", "service.provide");
        using var client = factory.Backend();
        var (id, code) = await VerifyAsync(client, "rect-1", "rectification");

        using var withoutReason = await client.PostAsJsonAsync("/v1/subjects/rect-1/rectification",
            new { verificationId = id, code, category = "contact", fields = new { email = "new@example.cn" } });
        using var response = await client.PostAsJsonAsync("/v1/subjects/rect-1/rectification",
            new { verificationId = id, code, category = "contact", fields = new { email = "new@example.cn" }, reason = "typo in the address" });
        using var read = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = tokens.Values, purpose = "service.provide" });

        Assert.Equal(HttpStatusCode.BadRequest, withoutReason.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(tokens["email"], (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetProperty("email").GetString());
        Assert.Equal("new@example.cn", (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("values")[0].GetProperty("value").GetString());
        Assert.Contains(await factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == "rect-1").Select(a => a.Action).ToListAsync()), a => a == "rectification");
    }

    [Fact]
    [Trait("Clause", "INF-6.2")]
    [Trait("Clause", "INF-6.1")]
    public async Task Erasure_destroys_the_data_key_so_no_copy_decrypts_and_emits_SubjectErased_with_a_certificate()
    {
        var tokens = await factory.StoreAsync("erase-1", "contact", new { email = "gone@example.cn" });
        await factory.GrantAsync("erase-1", "service.provide");
        var backup = await factory.WithDbAsync(db => db.Values.AsNoTracking().SingleAsync(v => v.Token == tokens["email"]));
        using var client = factory.Backend();
        var (id, code) = await VerifyAsync(client, "erase-1", "erasure");

        using var response = await client.PostAsJsonAsync("/v1/subjects/erase-1/erasure", new { verificationId = id, code, reason = "account closed" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var certificate = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deletionCertificateId").GetGuid();
        var subject = await factory.WithDbAsync(db => db.Subjects.SingleAsync(s => s.SubjectId == "erase-1"));
        Assert.Null(subject.WrappedKey);
        Assert.True(await factory.WithDbAsync(db => db.DeletionCertificates.AnyAsync(c => c.CertificateId == certificate)));
        await Eventually.HoldsAsync(async () => (await factory.OutboxAsync()).Any(m =>
            m.MessageType.Contains(nameof(SubjectErased)) && m.Payload.Contains(certificate.ToString()) && m.SentAt != null), TimeSpan.FromSeconds(20), "SubjectErased was published");

        using var read = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = tokens.Values, purpose = "service.provide" });
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Equal("erased", (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        using var lookup = await client.PostAsJsonAsync("/v1/lookup", new { field = "email", value = "gone@example.cn" });
        Assert.Empty((await lookup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matches").EnumerateArray());

        // A copy of the ciphertext taken before erasure (a backup, a replica) meets no key in the key folder that opens it
        // (the KEKs, the MAC key, every subject's key file).
        foreach (var file in Directory.EnumerateFiles(factory.KeyDirectory, "*.key", SearchOption.AllDirectories))
        {
            var key = Convert.FromBase64String(File.ReadAllText(file).Trim());
            using var aes = new AesGcm(key, Envelope.TagSize);
            Assert.ThrowsAny<CryptographicException>(() => Envelope.Decrypt(aes, backup.Nonce, backup.Ciphertext,
                Envelope.ValueAad(backup.SubjectId, backup.Category, backup.Field, backup.Token, backup.Version, backup.KeyGeneration)));
        }

        using var store = await client.PostAsJsonAsync("/v1/subjects/erase-1/data", new { category = "contact", source = "provided", legalBasis = "consent", fields = new { email = "back@example.cn" } });
        Assert.Equal(HttpStatusCode.Conflict, store.StatusCode);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_legal_hold_blocks_erasure_and_the_answer_says_why_until_it_is_released()
    {
        await factory.StoreAsync("hold-1", "delivery", new { address = "9 Huaihai Rd" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        var holdId = Guid.NewGuid();
        await factory.PublishAsync(new LegalHoldPlaced(holdId, "hold-1", null, "dispute", DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.LegalHolds.AnyAsync(h => h.HoldId == holdId)), TimeSpan.FromSeconds(20), "the hold reached the vault");
        using var client = factory.Backend();
        var (id, code) = await VerifyAsync(client, "hold-1", "erasure");

        using var blocked = await client.PostAsJsonAsync("/v1/subjects/hold-1/erasure", new { verificationId = id, code, reason = "please delete" });

        Assert.Equal(HttpStatusCode.Conflict, blocked.StatusCode);
        var problem = await blocked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("legal-hold", problem.GetProperty("reason").GetString());
        Assert.Contains("dispute", problem.GetProperty("detail").GetString());
        Assert.Contains(holdId.ToString(), problem.GetProperty("detail").GetString());
        Assert.NotNull((await factory.WithDbAsync(db => db.Subjects.SingleAsync(s => s.SubjectId == "hold-1"))).WrappedKey);

        await factory.PublishAsync(new LegalHoldReleased(holdId, DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.LegalHolds.AnyAsync(h => h.HoldId == holdId && h.ReleasedAt != null)), TimeSpan.FromSeconds(20), "the release reached the vault");
        var (again, againCode) = await VerifyAsync(client, "hold-1", "erasure");
        using var erased = await client.PostAsJsonAsync("/v1/subjects/hold-1/erasure", new { verificationId = again, code = againCode, reason = "please delete" });
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_hold_on_a_category_blocks_erasure_requested_by_the_suite_too()
    {
        await factory.StoreAsync("hold-2", "identity", new { name = "Sun Li" });
        var holdId = Guid.NewGuid();
        await factory.PublishAsync(new LegalHoldPlaced(holdId, null, DataCategory.Identity, "tax-law", DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.LegalHolds.AnyAsync(h => h.HoldId == holdId)), TimeSpan.FromSeconds(20), "the hold reached the vault");

        await factory.PublishAsync(new RemovalsRequested(Guid.NewGuid(), "erase", null, "retention expired", ["hold-2"], [], [], DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.AccessLog.AnyAsync(a => a.SubjectId == "hold-2" && a.Action == "erasure")),
            TimeSpan.FromSeconds(20), "the erasure request was handled");

        var entry = await factory.WithDbAsync(db => db.AccessLog.SingleAsync(a => a.SubjectId == "hold-2" && a.Action == "erasure"));
        Assert.Equal("denied", entry.Outcome);
        Assert.Contains("tax-law", entry.Detail);
        Assert.NotNull((await factory.WithDbAsync(db => db.Subjects.SingleAsync(s => s.SubjectId == "hold-2"))).WrappedKey);
        await factory.PublishAsync(new LegalHoldReleased(holdId, DateTimeOffset.UtcNow));
    }
}
