using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Model;

/// <summary>What one access-log entry says: who did what to whose data, why, and how it ended.</summary>
public sealed record AccessRecord(
    string Action,
    string Outcome,
    string? SubjectId,
    string Accessor,
    string? Purpose = null,
    string? Category = null,
    string? ProcessorId = null,
    string? Detail = null);

/// <summary>The result of walking the chain.</summary>
public sealed record ChainVerification(bool Valid, long Entries, long? FirstBadPosition, string? Problem);

/// <summary>
/// The hash-chained access log (IWK-2.3). Appends take a transaction-scoped advisory lock so positions are dense and
/// each entry sees its predecessor; the hash is an HMAC (key from the key folder) over the entry and the previous
/// hash, so someone with write access to the database alone cannot forge a consistent chain after an edit. The chain
/// cannot show entries cut off its end: <see cref="AccessLogAnchoring"/> keeps the committed head outside the database.
/// </summary>
public sealed class AccessLogBook(MacKeys macs, AccessLogAnchor anchor, TimeProvider time)
{
    public const string Genesis = "genesis";
    private const long AppendLockKey = 0x5641_554C_544C_4F47; // "VAULTLOG"

    /// <summary>Appends inside the caller's transaction, or in one of its own when there is none.</summary>
    public async Task AppendAsync(VaultDbContext db, CancellationToken cancellationToken, params AccessRecord[] records)
    {
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (own)
        {
            await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock({AppendLockKey})", cancellationToken);
            var last = await db.AccessLog.AsNoTracking().OrderByDescending(a => a.Position)
                .Select(a => new { a.Position, a.Hash }).FirstOrDefaultAsync(cancellationToken);
            var position = last?.Position ?? 0;
            var previous = last?.Hash ?? Genesis;
            var at = Microseconds(time.GetUtcNow());
            foreach (var record in records)
            {
                var entry = new AccessLogEntry
                {
                    Position = ++position,
                    At = at,
                    Action = record.Action,
                    Outcome = record.Outcome,
                    SubjectId = record.SubjectId,
                    Accessor = record.Accessor,
                    Purpose = record.Purpose,
                    Category = record.Category,
                    ProcessorId = record.ProcessorId,
                    Detail = record.Detail,
                    PreviousHash = previous,
                };
                entry.Hash = macs.AccessLogHash(Canonical(entry));
                previous = entry.Hash;
                db.AccessLog.Add(entry);
            }

            await db.SaveChangesAsync(cancellationToken);
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }
        }
    }

    /// <summary>Walks the whole chain in position order; an edited, removed or inserted entry breaks it where it happened.</summary>
    public async Task<ChainVerification> VerifyAsync(VaultDbContext db, CancellationToken cancellationToken)
    {
        // The anchor first: it holds a committed head, so the walk that starts afterwards sees at least that far.
        (long Position, string Hash)? anchored;
        try
        {
            anchored = anchor.Read();
        }
        catch (InvalidDataException e)
        {
            return new ChainVerification(false, 0, null, e.Message);
        }

        var previous = Genesis;
        long expected = 1, count = 0;
        string? hashAtAnchor = null;
        await foreach (var entry in db.AccessLog.AsNoTracking().OrderBy(a => a.Position).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            count++;
            string? problem = null;
            if (entry.Position != expected)
            {
                problem = $"entry {expected} is missing";
            }
            else if (entry.PreviousHash != previous)
            {
                problem = "the entry does not follow its predecessor";
            }
            else if (macs.AccessLogHash(Canonical(entry)) != entry.Hash)
            {
                problem = "the entry was changed after it was written";
            }

            if (problem is not null)
            {
                return new ChainVerification(false, count, expected, problem);
            }

            if (entry.Position == anchored?.Position)
            {
                hashAtAnchor = entry.Hash;
            }

            previous = entry.Hash;
            expected++;
        }

        if (anchored is { } head && hashAtAnchor is null)
        {
            return new ChainVerification(false, count, count + 1, $"entries {count + 1} to {head.Position} are missing: the anchored head is at {head.Position}");
        }

        if (anchored is { } replaced && hashAtAnchor != replaced.Hash)
        {
            return new ChainVerification(false, count, replaced.Position, "the entry at the anchored head was replaced: entries after it were removed and others written");
        }

        return new ChainVerification(true, count, null, null);
    }

    private static string Canonical(AccessLogEntry e) => string.Join('\u001f',
        "v1", e.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), e.At.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        e.Action, e.Outcome, e.SubjectId ?? "\u2205", e.Accessor, e.Purpose ?? "\u2205", e.Category ?? "\u2205", e.ProcessorId ?? "\u2205",
        e.Detail ?? "\u2205", e.PreviousHash);

    // PostgreSQL keeps microseconds; hashing the stored precision lets the verifier recompute the same bytes.
    private static DateTimeOffset Microseconds(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);
}
