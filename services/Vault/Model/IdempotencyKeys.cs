using System.Text.Json;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// A write's <c>Idempotency-Key</c> and the answer it got (<c>idempotency_keys</c>, migration 0010). Only a keyed hash of
/// the request is kept, and the answer (tokens, never a value).
/// </summary>
public sealed class IdempotencyRecord
{
    public string Caller { get; set; } = "";

    public string IdempotencyKey { get; set; } = "";

    public string Operation { get; set; } = "";

    public string RequestHash { get; set; } = "";

    public int Status { get; set; }

    public string Response { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// Idempotency keys of the vault's writes (issue 20.2), the house pattern of the notification service's
/// <c>POST /v1/notices</c> made safe under concurrency: a key is the caller's own; the same key with the same request
/// answers the first answer again and writes nothing; the same key with another request is refused (422
/// <c>idempotency-key-reused</c>); a key expires after <see cref="VaultOptions.IdempotencyKeyLifetime"/>. The key is
/// recorded in the write's own transaction, under a lock on (caller, key), so two requests with one key never both write:
/// the second waits for the first and then answers its answer. A refused write records nothing, so it may be sent again.
/// </summary>
public sealed class IdempotencyKeys(VaultDbContext db, MacKeys macs, TimeProvider time, IOptions<VaultOptions> options)
{
    public const string Header = "Idempotency-Key";

    public const int MaxKeyLength = 128;

    /// <summary>Set on an answer that repeats the first answer to the key (nothing was written this time).</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>The reason of the 422 for a key used for another request.</summary>
    public const string ReusedReason = "idempotency-key-reused";

    // pg_advisory_xact_lock(int, int): this class, then the caller's key.
    private const int LockClass = 20_002;

    // Expired keys are cleared by the writes that come by, this many at a time: the table stays the size of a lifetime of keys.
    private const int ExpiredClearedPerWrite = 100;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>1-128 visible ASCII characters (a UUID is the usual choice).</summary>
    public static bool IsValid(string? key) => key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= '!' and <= '~');

    /// <summary>The keyed hash that tells a repeat of <paramref name="canonicalRequest"/> from another request.</summary>
    public string Hash(string operation, object canonicalRequest) =>
        macs.RequestHash(operation + "\n" + JsonSerializer.Serialize(canonicalRequest, Json));

    /// <summary>
    /// Runs <paramref name="write"/> once per (caller, key): in a transaction of its own that the write joins and that also
    /// records the key and the answer. Returns the write's outcome, or the first answer again (<c>Replayed</c>), or 422
    /// when the key was used for another request.
    /// </summary>
    public async Task<(Outcome<T> Outcome, bool Replayed)> RunAsync<T>(string caller, string key, string operation, string requestHash,
        Func<CancellationToken, Task<Outcome<T>>> write, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException("An idempotent write records its key in a transaction of its own.");
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock({LockClass}, hashtext({caller + "\n" + key}))", ct);
        var now = time.GetUtcNow();
        // An expired key is free again; so are a few other expired ones, on the way.
        await db.Database.ExecuteSqlAsync(
            $"delete from idempotency_keys where (caller = {caller} and idempotency_key = {key} and expires_at <= {now}) or ctid in (select ctid from idempotency_keys where expires_at <= {now} limit {ExpiredClearedPerWrite})",
            ct);
        var first = await db.IdempotencyKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Caller == caller && k.IdempotencyKey == key, ct);
        if (first is not null)
        {
            // Nothing to commit: the transaction only held the lock.
            return first.Operation == operation && first.RequestHash == requestHash
                ? (new Outcome<T>.Done(JsonSerializer.Deserialize<T>(first.Response, Json)!), true)
                : (new Outcome<T>.Refused(new Refusal(422,
                    $"This Idempotency-Key was used for a different request within the last {Hours(options.Value.IdempotencyKeyLifetime)}; nothing was written. " +
                    "Send a new key with a new request, and the same key only with the same request.", ReusedReason)), false);
        }

        var outcome = await write(ct);
        if (outcome is not Outcome<T>.Done { Value: var answer })
        {
            return (outcome, false); // refused: nothing recorded, the transaction rolls back with whatever the write began
        }

        db.IdempotencyKeys.Add(new IdempotencyRecord
        {
            Caller = caller,
            IdempotencyKey = key,
            Operation = operation,
            RequestHash = requestHash,
            Status = StatusCodes.Status200OK,
            Response = JsonSerializer.Serialize(answer, Json),
            CreatedAt = now,
            ExpiresAt = now + options.Value.IdempotencyKeyLifetime,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (outcome, false);
    }

    private static string Hours(TimeSpan lifetime) => lifetime.TotalHours == 1 ? "hour" : $"{lifetime.TotalHours:0.#} hours";
}
