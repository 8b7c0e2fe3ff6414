using System.Diagnostics;
using Npgsql;
using PrivacySuite.AppHost.Hosting;

namespace PrivacySuite.Vault.Tests;

/// <summary>A vault of its own: these tests restore an old copy of its whole database.</summary>
public sealed class RestoredDatabaseFactory : VaultFactory
{
    /// <summary>A copy of the whole database (pg_dump, custom format) in <paramref name="file"/>.</summary>
    public Task DumpAsync(string file) => RunAsync("pg_dump", "--format=custom", $"--file={file}", $"--dbname={Database}");

    /// <summary>
    /// Puts the copy in <paramref name="file"/> back over the live database, as an operator restoring a backup would: every
    /// table is dropped and recreated with the copy's rows, in one transaction, while the vault keeps running. The tables
    /// are recreated as the vault's role (the database's owner, named after it here).
    /// </summary>
    public async Task RestoreAsync(string file)
    {
        await RunAsync("pg_restore", "--clean", "--if-exists", "--single-transaction", "--no-owner", $"--role={Database}", $"--dbname={Database}", file);
        NpgsqlConnection.ClearAllPools();
    }

    private string Database => new NpgsqlConnectionStringBuilder(DatabaseConnectionString).Database!;

    private async Task RunAsync(string program, params string[] arguments)
    {
        var connection = new NpgsqlConnectionStringBuilder(DatabaseConnectionString);
        var start = new ProcessStartInfo(Binaries.Postgres(program)) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments.Concat([$"--host={connection.Host}", $"--port={connection.Port}", $"--username={connection.Username}"]))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSWORD"] = connection.Password;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, $"{program} failed: {await errors}");
    }
}

/// <summary>
/// A database restore or a failover to a lagging replica rolls rows back, the vault's record of what it encrypted
/// included; what was written in between still exists (in a later backup, a replica, a copy someone took). No (data key,
/// nonce) pair may serve twice across both timelines: AES-GCM under a repeated nonce leaks the XOR of the plaintexts and
/// lets the authentication key be recovered.
/// </summary>
public sealed class NonceRollbackTests(RestoredDatabaseFactory factory) : IClassFixture<RestoredDatabaseFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.1")]
    [Trait("Clause", "INF-3.2")]
    public async Task Writing_after_a_restore_of_an_old_copy_never_reuses_a_nonce_under_the_same_key()
    {
        var subjects = new[] { "rollback-1", "rollback-2" };
        var used = new List<(string Subject, int Generation, string Nonce, string Ciphertext)>();
        foreach (var subject in subjects)
        {
            await factory.StoreAsync(subject, "usage", new { a = "first a", b = "first b", c = "first c" }, "collected");
        }

        used.AddRange(await NoncesAsync());
        var copy = Path.Combine(Path.GetTempPath(), $"vault-copy-{Guid.NewGuid():N}.dump");
        try
        {
            await factory.DumpAsync(copy);

            // Written after the copy was taken: these ciphertexts outlive the restore elsewhere.
            for (var round = 0; round < 3; round++)
            {
                foreach (var subject in subjects)
                {
                    await factory.StoreAsync(subject, "usage", new { a = $"later a {round}", b = $"later b {round}", c = $"later c {round}" }, "collected");
                    used.AddRange(await NoncesAsync());
                }
            }

            await factory.RestoreAsync(copy);
            // The restore took the access log back too; as the runbook says, the loss is accepted and the anchor moved aside.
            File.Move(Path.Combine(factory.KeyDirectory, "access-log.anchor"), Path.Combine(factory.KeyDirectory, $"access-log.anchor.{Guid.NewGuid():N}"));
            Assert.Equal(3, await factory.WithDbAsync(db => db.Values.CountAsync(v => v.SubjectId == subjects[0] && v.Version == 1)));

            for (var round = 0; round < 3; round++)
            {
                foreach (var subject in subjects)
                {
                    await factory.StoreAsync(subject, "usage", new { a = $"again a {round}", b = $"again b {round}", c = $"again c {round}" }, "collected");
                    used.AddRange(await NoncesAsync());
                }
            }
        }
        finally
        {
            File.Delete(copy);
        }

        // A row seen in several looks is one encryption; two different ciphertexts under one (key, nonce) are a reuse.
        var encryptions = used.Distinct().ToList();
        var reused = encryptions.GroupBy(e => (e.Subject, e.Generation, e.Nonce)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Equal(2 * 3 * 7, encryptions.Count); // two subjects, three fields, written seven times
        Assert.Empty(reused);

        // And what is there after the restore still reads.
        await factory.GrantAsync(subjects[0], "service.provide");
        var tokens = await factory.WithDbAsync(db => db.Values.Where(v => v.SubjectId == subjects[0]).Select(v => v.Token).ToListAsync());
        using var client = factory.Backend();
        using var read = await client.PostAsJsonAsync("/v1/detokenize", new { tokens, purpose = "service.provide" });
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("again c 2", await read.Content.ReadAsStringAsync());
    }

    /// <summary>Every value's data key (subject and key generation), nonce and ciphertext as the database holds them now.</summary>
    private Task<List<(string Subject, int Generation, string Nonce, string Ciphertext)>> NoncesAsync() =>
        factory.WithDbAsync(async db => (await db.Values.AsNoTracking()
                .Where(v => v.SubjectId.StartsWith("rollback-"))
                .Select(v => new { v.SubjectId, v.KeyGeneration, v.Nonce, v.Ciphertext })
                .ToListAsync())
            .Select(v => (v.SubjectId, v.KeyGeneration, Convert.ToHexString(v.Nonce), Convert.ToHexString(v.Ciphertext)))
            .ToList());
}
