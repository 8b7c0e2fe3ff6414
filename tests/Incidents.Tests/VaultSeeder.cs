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
/// with PostgreSQL's binary COPY: a million subjects through <c>POST /v1/subjects/{id}/data</c>, one transaction and
/// one access-log entry each, would take tens of minutes. The one difference from a subject the API stores: the data
/// key is wrapped by the KEK alone, the format of subjects from before per-subject key files (<c>subject_key = false</c>),
/// which the vault still reads; the API would also write a key file per subject, a million files the drill does not
/// need. Nothing about the seeded subjects is in the outbox or the access log, as after a restore.
/// </summary>
public static class VaultSeeder
{
    private const int Chunk = 20_000;

    /// <summary>Seeds <paramref name="subjects"/>; answers how many values were stored.</summary>
    public static async Task<long> SeedAsync(VaultHost vault, IEnumerable<SeedSubject> subjects)
    {
        var keys = vault.Services.GetRequiredService<FileKeyProvider>();
        var kekVersion = keys.CurrentVersion;
        var kek = keys.Kek(kekVersion);
        long values = 0;

        // Chunks of subjects, each encrypted and copied in on a connection and in a transaction of its own, two at a
        // time: while one chunk is encrypted here the other is being inserted by its PostgreSQL backend.
        await Parallel.ForEachAsync(subjects.Chunk(Chunk), new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (chunk, ct) =>
        {
            var encrypted = Encrypt(chunk, kek, kekVersion);
            await using var connection = new NpgsqlConnection(vault.DatabaseConnectionString);
            await connection.OpenAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // Each value's subject is inserted first in the same transaction, so the foreign key holds by construction;
            // its per-row check is skipped, as pg_restore's --disable-triggers does (the test database's user is its owner
            // and superuser).
            await using (var replica = new NpgsqlCommand("set local session_replication_role = replica", connection, tx))
            {
                await replica.ExecuteNonQueryAsync(ct);
            }

            Interlocked.Add(ref values, await CopyAsync(connection, encrypted, kekVersion, ct));
            await tx.CommitAsync(ct);
        });

        await using var analyzer = new NpgsqlConnection(vault.DatabaseConnectionString);
        await analyzer.OpenAsync();
        await using (var analyze = new NpgsqlCommand("analyze subjects; analyze personal_values", analyzer))
        {
            // Fresh statistics, as autovacuum would gather soon after a bulk load, so the planner sees the table's size.
            await analyze.ExecuteNonQueryAsync();
        }

        return values;
    }

    private sealed record EncryptedValue(string Token, SeedValue Value, byte[] Nonce, byte[] Ciphertext);

    private sealed record Encrypted(SeedSubject Subject, byte[] WrappedKey, EncryptedValue[] Values);

    private static Encrypted[] Encrypt(SeedSubject[] subjects, byte[] kek, int kekVersion)
    {
        var result = new Encrypted[subjects.Length];
        for (var i = 0; i < subjects.Length; i++)
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
        }

        return result;
    }

    private static async Task<long> CopyAsync(NpgsqlConnection connection, Encrypted[] chunk, int kekVersion, CancellationToken ct)
    {
        await using (var import = await connection.BeginBinaryImportAsync(
                         "copy subjects (subject_id, wrapped_key, kek_version, key_generation, nonces_used, subject_key, created_at) from stdin (format binary)", ct))
        {
            foreach (var s in chunk)
            {
                await import.StartRowAsync(ct);
                await import.WriteAsync(s.Subject.SubjectId, NpgsqlDbType.Text, ct);
                await import.WriteAsync(s.WrappedKey, NpgsqlDbType.Bytea, ct);
                await import.WriteAsync(kekVersion, NpgsqlDbType.Integer, ct);
                await import.WriteAsync(1, NpgsqlDbType.Integer, ct);
                await import.WriteAsync((long)s.Values.Length, NpgsqlDbType.Bigint, ct);
                await import.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                await import.WriteAsync(s.Subject.StoredAt, NpgsqlDbType.TimestampTz, ct);
            }

            await import.CompleteAsync(ct);
        }

        long count = 0;
        await using (var import = await connection.BeginBinaryImportAsync(
                         "copy personal_values (token, subject_id, category, field, source, legal_basis, version, key_generation, nonce, ciphertext, stored_at, updated_at) " +
                         "from stdin (format binary)", ct))
        {
            foreach (var s in chunk)
            {
                foreach (var v in s.Values)
                {
                    await import.StartRowAsync(ct);
                    await import.WriteAsync(v.Token, NpgsqlDbType.Text, ct);
                    await import.WriteAsync(s.Subject.SubjectId, NpgsqlDbType.Text, ct);
                    await import.WriteAsync(v.Value.Category, NpgsqlDbType.Text, ct);
                    await import.WriteAsync(v.Value.Field, NpgsqlDbType.Text, ct);
                    await import.WriteAsync("provided", NpgsqlDbType.Text, ct);
                    await import.WriteAsync("contract", NpgsqlDbType.Text, ct);
                    await import.WriteAsync(1, NpgsqlDbType.Integer, ct);
                    await import.WriteAsync(1, NpgsqlDbType.Integer, ct);
                    await import.WriteAsync(v.Nonce, NpgsqlDbType.Bytea, ct);
                    await import.WriteAsync(v.Ciphertext, NpgsqlDbType.Bytea, ct);
                    await import.WriteAsync(s.Subject.StoredAt, NpgsqlDbType.TimestampTz, ct);
                    await import.WriteAsync(s.Subject.StoredAt, NpgsqlDbType.TimestampTz, ct);
                    count++;
                }
            }

            await import.CompleteAsync(ct);
        }

        return count;
    }
}
