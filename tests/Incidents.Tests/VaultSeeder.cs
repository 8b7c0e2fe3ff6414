extern alias vault;

using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Envelope = vault::PrivacySuite.Vault.Crypto.Envelope;
using FileKeyProvider = vault::PrivacySuite.Vault.Crypto.FileKeyProvider;
using MacKeys = vault::PrivacySuite.Vault.Crypto.MacKeys;

namespace PrivacySuite.Incidents.Tests;

public sealed record SeedValue(string Category, string Field, string Value);

public sealed record SeedSubject(string SubjectId, DateTimeOffset StoredAt, IReadOnlyList<SeedValue> Values);

/// <summary>
/// Fills the real vault's database with many subjects at once, encrypted exactly as the vault encrypts (a data key per
/// subject wrapped by the vault's current KEK, AES-256-GCM values under counter nonces with the vault's associated data),
/// with PostgreSQL's binary COPY: a million subjects through <c>POST /v1/subjects/{id}/data</c> would take most of an
/// hour. The one difference from a subject the API stores: the data key is wrapped by the KEK alone, the format of
/// subjects from before per-subject key files (<c>subject_key = false</c>), which the vault still reads; the API would
/// also write a key file per subject, a million files the drill does not need. Nothing about the seeded subjects is in
/// the outbox or the access log, as after a restore.
/// </summary>
public static class VaultSeeder
{
    private const int Chunk = 25_000;

    /// <summary>Seeds <paramref name="subjects"/>; answers how many values were stored.</summary>
    public static async Task<long> SeedAsync(VaultHost vault, IEnumerable<SeedSubject> subjects)
    {
        var keys = vault.Services.GetRequiredService<FileKeyProvider>();
        var kekVersion = keys.CurrentVersion;
        var kek = keys.Kek(kekVersion);

        await using var connection = new NpgsqlConnection(vault.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        long values = 0;

        // Encrypts the next chunk on the thread pool while the current one is copied in.
        using var chunks = subjects.Chunk(Chunk).GetEnumerator();
        Task<Encrypted[]>? next = chunks.MoveNext() ? Task.Run(() => Encrypt(chunks.Current, kek, kekVersion)) : null;
        while (next is not null)
        {
            var current = await next;
            next = chunks.MoveNext() ? Task.Run(() => Encrypt(chunks.Current, kek, kekVersion)) : null;
            values += await CopyAsync(connection, current, kekVersion);
        }

        await tx.CommitAsync();
        await using (var analyze = new NpgsqlCommand("analyze subjects; analyze personal_values", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        return values;
    }

    private sealed record EncryptedValue(string Token, SeedValue Value, byte[] Nonce, byte[] Ciphertext);

    private sealed record Encrypted(SeedSubject Subject, byte[] WrappedKey, EncryptedValue[] Values);

    private static Encrypted[] Encrypt(SeedSubject[] subjects, byte[] kek, int kekVersion)
    {
        var result = new Encrypted[subjects.Length];
        Parallel.For(0, subjects.Length, i =>
        {
            var subject = subjects[i];
            var dataKey = Envelope.NewDataKey();
            using var aes = new AesGcm(dataKey, Envelope.TagSize);
            var values = new EncryptedValue[subject.Values.Count];
            for (var v = 0; v < values.Length; v++)
            {
                var value = subject.Values[v];
                var token = "tk_" + MacKeys.Base64Url(RandomNumberGenerator.GetBytes(18));
                var nonce = Envelope.CounterNonce(v + 1);
                var aad = Envelope.ValueAad(subject.SubjectId, value.Category, value.Field, token, version: 1, generation: 1);
                values[v] = new EncryptedValue(token, value, nonce, Envelope.Encrypt(aes, nonce, Encoding.UTF8.GetBytes(value.Value), aad));
            }

            result[i] = new Encrypted(subject, Envelope.Wrap(kek, kekVersion, subject.SubjectId, 1, dataKey), values);
            CryptographicOperations.ZeroMemory(dataKey);
        });
        return result;
    }

    private static async Task<long> CopyAsync(NpgsqlConnection connection, Encrypted[] chunk, int kekVersion)
    {
        await using (var import = await connection.BeginBinaryImportAsync(
                         "copy subjects (subject_id, wrapped_key, kek_version, key_generation, nonces_used, subject_key, created_at) from stdin (format binary)"))
        {
            foreach (var s in chunk)
            {
                await import.StartRowAsync();
                await import.WriteAsync(s.Subject.SubjectId, NpgsqlDbType.Text);
                await import.WriteAsync(s.WrappedKey, NpgsqlDbType.Bytea);
                await import.WriteAsync(kekVersion, NpgsqlDbType.Integer);
                await import.WriteAsync(1, NpgsqlDbType.Integer);
                await import.WriteAsync((long)s.Values.Length, NpgsqlDbType.Bigint);
                await import.WriteAsync(false, NpgsqlDbType.Boolean);
                await import.WriteAsync(s.Subject.StoredAt, NpgsqlDbType.TimestampTz);
            }

            await import.CompleteAsync();
        }

        long count = 0;
        await using (var import = await connection.BeginBinaryImportAsync(
                         "copy personal_values (token, subject_id, category, field, source, legal_basis, version, key_generation, nonce, ciphertext, stored_at, updated_at) " +
                         "from stdin (format binary)"))
        {
            foreach (var s in chunk)
            {
                foreach (var v in s.Values)
                {
                    await import.StartRowAsync();
                    await import.WriteAsync(v.Token, NpgsqlDbType.Text);
                    await import.WriteAsync(s.Subject.SubjectId, NpgsqlDbType.Text);
                    await import.WriteAsync(v.Value.Category, NpgsqlDbType.Text);
                    await import.WriteAsync(v.Value.Field, NpgsqlDbType.Text);
                    await import.WriteAsync("provided", NpgsqlDbType.Text);
                    await import.WriteAsync("contract", NpgsqlDbType.Text);
                    await import.WriteAsync(1, NpgsqlDbType.Integer);
                    await import.WriteAsync(1, NpgsqlDbType.Integer);
                    await import.WriteAsync(v.Nonce, NpgsqlDbType.Bytea);
                    await import.WriteAsync(v.Ciphertext, NpgsqlDbType.Bytea);
                    await import.WriteAsync(s.Subject.StoredAt, NpgsqlDbType.TimestampTz);
                    await import.WriteAsync(s.Subject.StoredAt, NpgsqlDbType.TimestampTz);
                    count++;
                }
            }

            await import.CompleteAsync();
        }

        return count;
    }
}
