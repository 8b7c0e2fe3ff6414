using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
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

/// <summary>
/// The head a committed append leaves, and whether the chain it extended still held the anchored head (checked under
/// the append lock). Only such a head may become the anchor: otherwise entries were cut off the end and written again.
/// </summary>
public sealed record AppendedHead(long Position, string Hash, bool ExtendsAnchor);

/// <summary>The result of walking the chain.</summary>
public sealed record ChainVerification(bool Valid, long Entries, long? FirstBadPosition, string? Problem);

/// <summary>
/// The hash-chained access log (IWK-2.3). Appends take a transaction-scoped advisory lock so positions are dense and
/// each entry sees its predecessor; the hash is an HMAC (key from the key folder) over the entry and the previous
/// hash, so someone with write access to the database alone cannot forge a consistent chain after an edit. The chain
/// cannot show entries cut off its end: <see cref="AccessLogAnchor"/> keeps the committed head outside the database, and
/// every append moves it after its commit, before the operation that wrote the entries answers.
/// </summary>
public sealed class AccessLogBook(MacKeys macs, AccessLogAnchor anchor, TimeProvider time)
{
    public const string Genesis = "genesis";
    private const long AppendLockKey = 0x5641_554C_544C_4F47; // "VAULTLOG"

    /// <summary>
    /// Appends inside the caller's transaction, or in one of its own when there is none; saves the caller's pending
    /// changes first. The anchor moves when the transaction commits (<see cref="AccessLogAnchorOnCommit"/>).
    /// </summary>
    public async Task AppendAsync(VaultDbContext db, CancellationToken cancellationToken, params AccessRecord[] records)
    {
        var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (own)
        {
            await db.SaveChangesAsync(cancellationToken);
            var transaction = (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();
            db.AppendedToAccessLog(transaction, await AppendAsync(transaction, records, cancellationToken));
            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }
        }
    }

    /// <summary>Appends <paramref name="records"/> in <paramref name="transaction"/>; the caller commits, then anchors the head.</summary>
    public Task<AppendedHead?> AppendAsync(NpgsqlTransaction transaction, IReadOnlyList<AccessRecord> records, CancellationToken cancellationToken) =>
        AppendAsync(transaction.Connection!, transaction, records, cancellationToken);

    /// <summary>
    /// Appends <paramref name="records"/> in a transaction of its own and commits it: two round trips of prepared
    /// statements (begin, the lock and the head; then one multi-row insert and the commit). The group-commit appender
    /// runs this for every batch of reads, and each round trip it saves shortens every read waiting on the batch.
    /// </summary>
    public async Task<AppendedHead?> AppendAndCommitAsync(NpgsqlConnection connection, IReadOnlyList<AccessRecord> records, CancellationToken cancellationToken)
    {
        try
        {
            return await AppendAsync(connection, null, records, cancellationToken);
        }
        catch when (connection.State == System.Data.ConnectionState.Open)
        {
            // A failed statement leaves the transaction open and aborted; nothing of the batch is kept. The first error
            // is the one that explains the failure, so a rollback on a broken connection does not replace it (the pool
            // discards such a connection anyway).
            try
            {
                await using var rollback = new NpgsqlCommand("rollback", connection);
                await rollback.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
            }

            throw;
        }
    }

    /// <summary>
    /// The chain append: the advisory lock, held until commit, keeps every instance of every region on one chain, and
    /// each batch reads the head under it, with the hash now at the anchored position. Without <paramref name="transaction"/>,
    /// the statements begin and commit their own.
    /// </summary>
    private async Task<AppendedHead?> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<AccessRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return null;
        }

        // Read before the lock: another instance only moves the anchor forward, to a head it checked the same way.
        var anchored = anchor.TryRead(out var damaged);
        var own = transaction is null;
        long position = 0;
        var previous = Genesis;
        string? hashAtAnchor = null;
        await using (var head = new NpgsqlBatch(connection, transaction))
        {
            if (own)
            {
                head.BatchCommands.Add(new NpgsqlBatchCommand("begin"));
            }

            head.BatchCommands.Add(new NpgsqlBatchCommand("select pg_advisory_xact_lock($1)") { Parameters = { new NpgsqlParameter<long> { TypedValue = AppendLockKey } } });
            head.BatchCommands.Add(new NpgsqlBatchCommand(
                "select position, hash, (select a.hash from access_log a where a.position = $1) from access_log order by position desc limit 1")
            {
                Parameters = { new NpgsqlParameter<long> { TypedValue = anchored?.Position ?? 0 } },
            });
            await head.PrepareAsync(cancellationToken);
            await using var reader = await head.ExecuteReaderAsync(cancellationToken);
            // The head is the one result with three columns (begin and the lock come first, however the reader shows them).
            do
            {
                if (reader.FieldCount == 3 && await reader.ReadAsync(cancellationToken))
                {
                    position = reader.GetInt64(0);
                    previous = reader.GetString(1);
                    hashAtAnchor = reader.IsDBNull(2) ? null : reader.GetString(2);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        // A chain shorter than the anchor, or another entry at its position, lost entries from its end.
        var extendsAnchor = !damaged && (anchored is not { } a || (a.Position <= position && hashAtAnchor == a.Hash));

        var at = Microseconds(time.GetUtcNow());
        var count = records.Count;
        var positions = new long[count];
        var ats = new DateTimeOffset[count];
        var actions = new string[count];
        var outcomes = new string[count];
        var subjects = new string?[count];
        var accessors = new string[count];
        var purposes = new string?[count];
        var categories = new string?[count];
        var processors = new string?[count];
        var details = new string?[count];
        var previousHashes = new string[count];
        var hashes = new string[count];
        for (var i = 0; i < count; i++)
        {
            var entry = Entry(records[i], ++position, at, previous);
            positions[i] = entry.Position;
            ats[i] = entry.At;
            actions[i] = entry.Action;
            outcomes[i] = entry.Outcome;
            subjects[i] = entry.SubjectId;
            accessors[i] = entry.Accessor;
            purposes[i] = entry.Purpose;
            categories[i] = entry.Category;
            processors[i] = entry.ProcessorId;
            details[i] = entry.Detail;
            previousHashes[i] = entry.PreviousHash;
            hashes[i] = previous = entry.Hash;
        }

        await using var insert = new NpgsqlBatch(connection, transaction);
        insert.BatchCommands.Add(new NpgsqlBatchCommand(
            """
            insert into access_log (position, at, action, outcome, subject_id, accessor, purpose, category, processor_id, detail, previous_hash, hash)
            select * from unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<long[]> { TypedValue = positions },
                new NpgsqlParameter<DateTimeOffset[]> { TypedValue = ats },
                new NpgsqlParameter<string[]> { TypedValue = actions },
                new NpgsqlParameter<string[]> { TypedValue = outcomes },
                new NpgsqlParameter<string?[]> { TypedValue = subjects },
                new NpgsqlParameter<string[]> { TypedValue = accessors },
                new NpgsqlParameter<string?[]> { TypedValue = purposes },
                new NpgsqlParameter<string?[]> { TypedValue = categories },
                new NpgsqlParameter<string?[]> { TypedValue = processors },
                new NpgsqlParameter<string?[]> { TypedValue = details },
                new NpgsqlParameter<string[]> { TypedValue = previousHashes },
                new NpgsqlParameter<string[]> { TypedValue = hashes },
            },
        });
        if (own)
        {
            insert.BatchCommands.Add(new NpgsqlBatchCommand("commit"));
        }

        await insert.PrepareAsync(cancellationToken);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return new AppendedHead(position, previous, extendsAnchor);
    }

    private AccessLogEntry Entry(AccessRecord record, long position, DateTimeOffset at, string previous)
    {
        var entry = new AccessLogEntry
        {
            Position = position,
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
        return entry;
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
