using System.Security.Cryptography;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Tests;

public sealed class StorageTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    [Trait("Clause", "INF-1.1")]
    public async Task Registration_data_is_stored_under_identity_and_contact_and_answered_with_tokens()
    {
        var identity = await factory.StoreAsync("reg-1", "identity", new { name = "Li Lei" });
        var contact = await factory.StoreAsync("reg-1", "contact", new { email = "lilei@example.cn", phone = "+86 138 0000 0001" });

        Assert.StartsWith("tk_", identity["name"]);
        Assert.Equal(["email", "phone"], contact.Keys.Order());
        var rows = await factory.WithDbAsync(db => db.Values.Where(v => v.SubjectId == "reg-1").OrderBy(v => v.Field).ToListAsync());
        Assert.Equal(["identity", "contact", "contact"], rows.OrderBy(r => r.Category == "contact").Select(r => r.Category));
        Assert.All(rows, r => Assert.Equal("consent", r.LegalBasis));
    }

    [Fact]
    [Trait("Clause", "INF-1.2")]
    public async Task Usage_data_is_stored_but_business_data_is_refused_and_nothing_is_written()
    {
        await factory.StoreAsync("usage-1", "device", new { imei = "356938035643809", ip = "10.0.0.8" }, "collected");
        await factory.StoreAsync("usage-1", "usage", new { browser = "Firefox", access_time = "2026-01-01T10:00:00Z" }, "collected");
        await factory.StoreAsync("usage-1", "location", new { gps = "39.9042,116.4074" }, "collected");
        var before = await factory.WithDbAsync(db => db.Values.CountAsync());

        using var client = factory.Backend();
        using var response = await client.PostAsJsonAsync("/v1/subjects/usage-1/data",
            new { category = "business", source = "provided", fields = new { invoice = "customer ledger" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("INF-1.2", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await factory.WithDbAsync(db => db.Values.CountAsync()));
    }

    [Fact]
    [Trait("Clause", "INF-1.3")]
    public async Task Delivery_data_is_kept_on_the_contract_basis_and_no_other()
    {
        // Delivery data's only basis is the contract, which names the purposes it covers; a basis is always named.
        var tokens = await factory.StoreAsync("deliv-1", "delivery", new { contact_person = "Han Meimei", address = "1 Chang'an Ave" },
            legalBasis: "contract", purposes: ["delivery.offline"]);
        using var client = factory.Backend();
        using var refused = await client.PostAsJsonAsync("/v1/subjects/deliv-1/data",
            new { category = "delivery", source = "provided", legalBasis = "consent", fields = new { address = "elsewhere" } });
        using var unnamed = await client.PostAsJsonAsync("/v1/subjects/deliv-1/data",
            new { category = "delivery", source = "provided", purposes = new[] { "delivery.offline" }, fields = new { address = "elsewhere" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unnamed.StatusCode);
        Assert.Contains("legalBasis", await unnamed.Content.ReadAsStringAsync());
        Assert.Equal(1, await factory.WithDbAsync(db => db.Values.CountAsync(v => v.SubjectId == "deliv-1" && v.Field == "address")));
        var basis = await factory.WithDbAsync(db => db.Values.Where(v => v.Token == tokens["address"]).Select(v => v.LegalBasis).SingleAsync());
        Assert.Equal("contract", basis);
    }

    [Fact]
    [Trait("Clause", "IWK-1.1")]
    public async Task Every_item_records_whether_it_was_provided_or_collected()
    {
        var provided = await factory.StoreAsync("src-1", "contact", new { email = "a@example.cn" }, "provided");
        var collected = await factory.StoreAsync("src-1", "device", new { model = "Mi 14" }, "collected");
        using var client = factory.Backend();
        using var missing = await client.PostAsJsonAsync("/v1/subjects/src-1/data", new { category = "device", legalBasis = "consent", fields = new { model = "x" } });
        using var invented = await client.PostAsJsonAsync("/v1/subjects/src-1/data", new { category = "device", source = "bought", legalBasis = "consent", fields = new { model = "x" } });

        Assert.Equal("provided", await factory.WithDbAsync(db => db.Values.Where(v => v.Token == provided["email"]).Select(v => v.Source).SingleAsync()));
        Assert.Equal("collected", await factory.WithDbAsync(db => db.Values.Where(v => v.Token == collected["model"]).Select(v => v.Source).SingleAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invented.StatusCode);
    }

    [Theory]
    [InlineData("not a subject id!", """{"category":"contact","source":"provided","legalBasis":"consent","fields":{"email":"x@y.cn"}}""")]
    [InlineData("bad-1", """{"category":"contact","source":"provided","legalBasis":"consent","fields":{}}""")]
    [InlineData("bad-1", """{"category":"contact","source":"provided","legalBasis":"consent","fields":{"E-Mail":"x@y.cn"}}""")]
    [InlineData("bad-1", """{"category":"contact","source":"provided","legalBasis":"consent","fields":{"email":""}}""")]
    [InlineData("bad-1", """{"category":"secrets","source":"provided","legalBasis":"consent","fields":{"email":"x@y.cn"}}""")]
    [InlineData("bad-1", """{"category":"contact","source":"provided","legalBasis":"because","fields":{"email":"x@y.cn"}}""")]
    [InlineData("bad-1", """{"category":"contact","source":"provided","fields":{"email":"x@y.cn"}}""")]
    [InlineData("bad-1", """{"category": 42""")]
    [InlineData("bad-1", """[1,2]""")]
    public async Task Bad_store_requests_answer_problem_details_and_write_nothing(string subjectId, string body)
    {
        var before = await factory.WithDbAsync(db => db.Values.CountAsync());
        using var client = factory.Backend();

        using var response = await client.PostAsync($"/v1/subjects/{Uri.EscapeDataString(subjectId)}/data",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await factory.WithDbAsync(db => db.Values.CountAsync()));
    }

    [Fact]
    public async Task Oversized_values_and_too_many_fields_are_refused()
    {
        using var client = factory.Backend();
        using var big = await client.PostAsJsonAsync("/v1/subjects/big-1/data",
            new { category = "usage", source = "collected", legalBasis = "consent", fields = new Dictionary<string, string> { ["log"] = new('x', 4097) } });
        using var many = await client.PostAsJsonAsync("/v1/subjects/big-1/data",
            new { category = "usage", source = "collected", legalBasis = "consent", fields = Enumerable.Range(0, 33).ToDictionary(i => $"f{i}", _ => "v") });

        Assert.Equal(HttpStatusCode.BadRequest, big.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "big-1")));
    }

    [Fact]
    [Trait("Clause", "IWK-2.1")]
    public async Task Values_are_encrypted_with_random_nonces_that_are_counted_against_the_key()
    {
        for (var i = 0; i < 3; i++)
        {
            await factory.StoreAsync("nonce-1", "usage", new { a = $"one {i}", b = $"two {i}", c = $"three {i}", d = $"four {i}" }, "collected");
        }

        var rows = await factory.WithDbAsync(db => db.Values.Where(v => v.SubjectId == "nonce-1").ToListAsync());
        var subject = await factory.WithDbAsync(db => db.Subjects.SingleAsync(s => s.SubjectId == "nonce-1"));

        Assert.Equal(12, subject.NoncesUsed);
        Assert.All(rows, r => Assert.Equal(12, r.Nonce.Length));
        Assert.Equal(rows.Count, rows.Select(r => Convert.ToHexString(r.Nonce)).Distinct().Count());
        // Never a format-1 counter nonce (32 zero bits, then the count): the two kinds cannot meet under one key.
        Assert.All(rows, r => Assert.NotEqual([0, 0, 0, 0], r.Nonce[..4]));
        Assert.All(rows, r => Assert.Equal(3, r.Version));
        Assert.Equal(Envelope.NonceSize + Envelope.TagSize + Envelope.KeySize, subject.WrappedKey!.Length);
    }

    [Fact]
    [Trait("Clause", "IWK-2.1")]
    public void A_ciphertext_only_decrypts_for_its_own_subject_category_field_and_version()
    {
        var key = Envelope.NewDataKey();
        using var aes = new AesGcm(key, Envelope.TagSize);
        var nonce = Envelope.CounterNonce(1);
        var ciphertext = Envelope.Encrypt(aes, nonce, "secret"u8, Envelope.ValueAad("s1", "contact", "email", "tk_1", 1, 1));

        Assert.Equal("secret"u8.ToArray(), Envelope.Decrypt(aes, nonce, ciphertext, Envelope.ValueAad("s1", "contact", "email", "tk_1", 1, 1)));
        Assert.ThrowsAny<CryptographicException>(() => Envelope.Decrypt(aes, nonce, ciphertext, Envelope.ValueAad("s2", "contact", "email", "tk_1", 1, 1)));
        Assert.ThrowsAny<CryptographicException>(() => Envelope.Decrypt(aes, nonce, ciphertext, Envelope.ValueAad("s1", "identity", "email", "tk_1", 1, 1)));
        Assert.ThrowsAny<CryptographicException>(() => Envelope.Decrypt(aes, nonce, ciphertext, Envelope.ValueAad("s1", "contact", "email", "tk_1", 2, 1)));
        var kek = RandomNumberGenerator.GetBytes(32);
        var wrapped = Envelope.Wrap(kek, 1, "s1", 1, key);
        Assert.Equal(key, Envelope.Unwrap(kek, 1, "s1", 1, wrapped));
        Assert.ThrowsAny<CryptographicException>(() => Envelope.Unwrap(kek, 1, "s2", 1, wrapped));
    }

    [Fact]
    [Trait("Clause", "IWK-2.1")]
    public async Task Kek_rotation_rewraps_every_data_key_and_values_stay_readable()
    {
        await factory.StoreAsync("rot-1", "device", new { model = "Pixel" }, "collected");
        await factory.StoreAsync("rot-2", "device", new { model = "Mate" }, "collected");
        await factory.GrantAsync("rot-1", "service.provide");
        var token = (await factory.WithDbAsync(db => db.Values.Where(v => v.SubjectId == "rot-1").Select(v => v.Token).SingleAsync()));

        using var operatorClient = factory.CreateClientFor(SuiteRoles.Operator);
        using var rotated = await operatorClient.PostAsync("/v1/keys/rotate", null);
        var body = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var version = body.GetProperty("kekVersion").GetInt32();

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.True(body.GetProperty("rewrapped").GetInt32() >= 2);
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.WrappedKey != null && s.KekVersion != version)));
        Assert.True(File.Exists(Path.Combine(factory.KeyDirectory, $"kek-{version:D6}.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(factory.KeyDirectory));

        using var backend = factory.Backend();
        using var read = await backend.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose = "service.provide" });
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("Pixel", await read.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Only_operators_rotate_keys()
    {
        using var backend = factory.Backend();
        using var response = await backend.PostAsync("/v1/keys/rotate", null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}

public sealed class SmallKeyBudgetFactory : VaultFactory
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["PrivacySuite:Vault:MaxEncryptionsPerKey"] = "10";
}

public sealed class KeyBudgetTests(SmallKeyBudgetFactory factory) : IClassFixture<SmallKeyBudgetFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.1")]
    public async Task A_data_key_that_spent_its_nonce_budget_is_replaced_and_old_values_stay_readable()
    {
        var first = await factory.StoreAsync("budget-1", "usage", new { a = "alpha", b = "beta", c = "gamma" }, "collected");
        await factory.StoreAsync("budget-1", "device", new { model = "Mi", os = "HyperOS" }, "collected");
        await factory.StoreAsync("budget-1", "device", new { os = "Android" }, "collected");
        await factory.StoreAsync("budget-1", "location", new { x = "1", y = "2", z = "3", w = "4" }, "collected");
        await factory.StoreAsync("budget-1", "device", new { os = "Android 15" }, "collected");
        await factory.GrantAsync("budget-1", "service.provide");

        var subject = await factory.WithDbAsync(db => db.Subjects.SingleAsync(s => s.SubjectId == "budget-1"));
        using var client = factory.Backend();
        using var read = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = first.Values, purpose = "service.provide" });
        var text = await read.Content.ReadAsStringAsync();

        Assert.Equal(2, subject.KeyGeneration);
        Assert.Equal(10, subject.NoncesUsed); // nine values re-encrypted under the new key, then the write
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("alpha", text);
        Assert.Contains("gamma", text);
    }
}
