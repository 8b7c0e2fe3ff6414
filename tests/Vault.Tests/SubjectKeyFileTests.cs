using System.Security.Cryptography;
using System.Text;
using Npgsql;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Tests;

/// <summary>The vault looking for subjects from before key files often, so a test need not wait ten minutes.</summary>
public sealed class QuickKeyFileFactory : VaultFactory
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["PrivacySuite:Vault:KeyFileUpgradeInterval"] = "00:00:00.200";
}

/// <summary>Subjects stored before per-subject key files existed get one without an operator step.</summary>
public sealed class SubjectKeyFileTests(QuickKeyFileFactory factory) : IClassFixture<QuickKeyFileFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.1")]
    public async Task A_subject_stored_before_key_files_gets_its_key_file_and_a_backup_plus_the_KEK_no_longer_decrypts_it()
    {
        const string subjectId = "legacy-1";
        var kek = new FileKeyProvider(factory.KeyDirectory).Kek(1);
        var dataKey = Envelope.NewDataKey();
        var legacyWrap = Envelope.Wrap(kek, 1, subjectId, 1, dataKey);
        var token = await StoreLegacyAsync(subjectId, dataKey, legacyWrap, "han.meimei@example.cn");
        var keys = new SubjectKeyStore(factory.KeyDirectory);

        await Eventually.HoldsAsync(async () => await SubjectKeyFlagAsync(subjectId), TimeSpan.FromSeconds(10), "the subject was given its key file");
        var wrapped = await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == subjectId).Select(s => s.WrappedKey!).SingleAsync());

        Assert.True(keys.Exists(subjectId, 1));
        Assert.NotEqual(legacyWrap, wrapped);
        // The KEK alone, which is all a stolen backup of the database and the KEKs would hold, no longer unwraps the key...
        Assert.ThrowsAny<CryptographicException>(() => Envelope.Unwrap(kek, 1, subjectId, 1, wrapped));
        // ...the KEK with the key file does, to the same data key: nothing was re-encrypted and the value still reads.
        Assert.Equal(dataKey, Envelope.Unwrap(SubjectKeyStore.WrappingKey(kek, keys.Get(subjectId, 1)), 1, subjectId, 1, wrapped));
        using var client = factory.Backend();
        using var read = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose = "service.provide" });
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("han.meimei@example.cn", await read.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_subject_that_already_has_its_key_file_is_left_as_it_is()
    {
        var tokens = await factory.StoreAsync("keyed-1", "device", new { model = "Mi 14" }, "collected", "contract", ["service.provide"]);
        var before = await factory.WithDbAsync(db => db.Subjects.AsNoTracking().SingleAsync(s => s.SubjectId == "keyed-1"));

        // Several rounds of the look-up pass meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var after = await factory.WithDbAsync(db => db.Subjects.AsNoTracking().SingleAsync(s => s.SubjectId == "keyed-1"));

        Assert.True(after.SubjectKey);
        Assert.Equal(before.WrappedKey, after.WrappedKey);
        Assert.Equal(before.KekVersion, after.KekVersion);
        Assert.NotEmpty(tokens);
    }

    private async Task<bool> SubjectKeyFlagAsync(string subjectId) =>
        await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == subjectId).Select(s => s.SubjectKey).SingleAsync());

    /// <summary>Writes the rows a vault from before key files wrote: the data key wrapped by the KEK alone, subject_key false.</summary>
    private async Task<string> StoreLegacyAsync(string subjectId, byte[] dataKey, byte[] wrapped, string email)
    {
        var token = "tk_legacy_" + Guid.NewGuid().ToString("N")[..12];
        var nonce = Envelope.CounterNonce(1);
        byte[] ciphertext;
        using (var aes = new AesGcm(dataKey, Envelope.TagSize))
        {
            ciphertext = Envelope.Encrypt(aes, nonce, Encoding.UTF8.GetBytes(email), Envelope.ValueAad(subjectId, "contact", "email", token, 1, 1));
        }

        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(
                    "insert into subjects (subject_id, wrapped_key, kek_version, key_generation, nonces_used, subject_key, created_at) values ($1, $2, 1, 1, 1, false, now())")
                {
                    Parameters = { new() { Value = subjectId }, new() { Value = wrapped } },
                },
                new NpgsqlBatchCommand(
                    "insert into personal_values (token, subject_id, category, field, source, legal_basis, basis_purposes, version, key_generation, nonce, ciphertext, stored_at, updated_at) " +
                    "values ($1, $2, 'contact', 'email', 'provided', 'contract', '{service.provide}', 1, 1, $3, $4, now(), now())")
                {
                    Parameters = { new() { Value = token }, new() { Value = subjectId }, new() { Value = nonce }, new() { Value = ciphertext } },
                },
            },
        };
        await batch.ExecuteNonQueryAsync();
        return token;
    }
}
