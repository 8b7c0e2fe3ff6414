using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// No key kept in memory (a deleted key file counts at once) and stale key files looked for often, so a test need not
/// wait a minute.
/// </summary>
public sealed class ErasureCommitFactory : VaultFactory
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["PrivacySuite:Vault:KeyCacheLifetime"] = "00:00:00";
        settings["PrivacySuite:Vault:StaleKeyFileInterval"] = "00:00:00.200";
    }
}

/// <summary>Key files go only after the erasure that shreds them has committed, and a key file that is gone means erased.</summary>
public sealed class ErasureCommitTests(ErasureCommitFactory factory) : IClassFixture<ErasureCommitFactory>
{
    private SubjectKeyStore Keys => new(factory.KeyDirectory, TimeSpan.Zero);

    [Fact]
    [Trait("Clause", "INF-6.1")]
    [Trait("Clause", "IWK-2.1")]
    public async Task An_erasure_whose_transaction_fails_leaves_the_key_file_and_the_data_readable_and_the_next_one_shreds()
    {
        var tokens = await factory.StoreAsync("erase-fails-1", "contact", new { email = "fails@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        // The database refuses the erasure's certificate: the transaction fails after the subject's key was shredded in it.
        await factory.ExecuteSqlAsync("""
            create function refuse_certificate() returns trigger language plpgsql as $$ begin raise exception 'certificate refused'; end $$;
            create trigger refuse_certificate before insert on deletion_certificates for each row
                when (new.subject_id = 'erase-fails-1') execute function refuse_certificate();
            """);

        await Assert.ThrowsAnyAsync<Exception>(() => EraseAsync("erase-fails-1"));

        Assert.True(Keys.Exists("erase-fails-1", 1));
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "erase-fails-1" && (s.WrappedKey == null || s.StaleKeyFiles))));
        var (status, body) = await ReadAsync(tokens["email"]);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("fails@example.cn", body);

        await factory.ExecuteSqlAsync("drop trigger refuse_certificate on deletion_certificates; drop function refuse_certificate();");
        Assert.IsType<VaultService.ErasureResult.Erased>(await EraseAsync("erase-fails-1"));

        Assert.False(Keys.Exists("erase-fails-1", 1)); // deleted right after the commit, before the erasure answered
        Assert.Equal("erased", ReasonOf(await ReadAsync(tokens["email"])));
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public async Task A_missing_key_file_reads_as_erased_everywhere_never_as_a_server_error()
    {
        // As after a restore of a backup taken before an erasure: the row is back with its wrapped key, the key file is not.
        var tokens = await factory.StoreAsync("keyless-1", "contact", new { email = "keyless@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        await factory.StoreAsync("keyless-1", "usage", new { clicks = "12" }, "collected", "contract", ["service.provide"]);
        Keys.Destroy("keyless-1", 1, 1);

        Assert.Equal("erased", ReasonOf(await ReadAsync(tokens["email"])));

        using var backend = factory.Backend();
        using var write = await backend.PostAsJsonAsync("/v1/subjects/keyless-1/data", new { category = "device", source = "collected", legalBasis = "contract", purposes = new[] { "service.provide" }, fields = new { model = "Mi" } });
        Assert.Equal(HttpStatusCode.Conflict, write.StatusCode);
        Assert.Equal("erased", (await write.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());

        using var notifications = factory.CreateClientFor(SuiteRoles.Service, "notifications");
        using var contacts = await notifications.PostAsJsonAsync("/v1/subjects/contacts", new { subjectIds = new[] { "keyless-1" } });
        Assert.Equal(HttpStatusCode.OK, contacts.StatusCode);
        Assert.Contains("\"erased\"", await contacts.Content.ReadAsStringAsync());

        using var verification = await backend.PostAsJsonAsync("/v1/subjects/keyless-1/verifications", new { request = "export" });
        Assert.Equal(HttpStatusCode.Gone, verification.StatusCode);
        using var contactProof = await backend.PostAsJsonAsync("/v1/subjects/keyless-1/contact-verifications", new { field = "email" });
        Assert.Equal(HttpStatusCode.Gone, contactProof.StatusCode);

        using var operatorClient = factory.CreateClientFor(SuiteRoles.Operator);
        using var rotated = await operatorClient.PostAsync("/v1/keys/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);

        // A removal of what is left is carried out, not failed on the key it cannot open.
        await factory.PublishAsync(new RemovalsRequested(Guid.NewGuid(), "anonymise", null, "account-cancellation", ["keyless-1"], [], [], DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "keyless-1" && s.ErasedAt != null)),
            TimeSpan.FromSeconds(30), "the subject was anonymised");
        Assert.DoesNotContain(factory.Logs, l => l.Contains("keyless@example.cn", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    public async Task Key_files_an_erasure_left_behind_are_deleted_later_from_the_rows_flag()
    {
        // The process stopped between the erasure's commit and the deletion of the key files: the row says so.
        await factory.StoreAsync("left-behind-1", "usage", new { clicks = "3" }, "collected", "contract", ["service.provide"]);
        Assert.True(Keys.Exists("left-behind-1", 1));
        await factory.ExecuteSqlAsync("update subjects set wrapped_key = null, erased_at = now(), stale_key_files = true where subject_id = 'left-behind-1'");

        await Eventually.HoldsAsync(() => Task.FromResult(!Keys.Exists("left-behind-1", 1)), TimeSpan.FromSeconds(10), "the key file was deleted");
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "left-behind-1" && !s.StaleKeyFiles)),
            TimeSpan.FromSeconds(10), "the flag was cleared");
    }

    private async Task<VaultService.ErasureResult> EraseAsync(string subjectId)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<VaultService>().EraseAsync(subjectId, "subject-request", "test", CancellationToken.None);
    }

    private async Task<(HttpStatusCode Status, string Body)> ReadAsync(string token)
    {
        using var client = factory.Backend();
        using var response = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose = "service.provide" });
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string? ReasonOf((HttpStatusCode Status, string Body) answer)
    {
        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
        return JsonDocument.Parse(answer.Body).RootElement.GetProperty("reason").GetString();
    }

}
