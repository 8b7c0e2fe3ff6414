using System.Data.Common;
using System.Globalization;
using System.Text;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// The access log's latest head (position and hash), kept outside the database in the key folder, so verification
/// notices entries removed from the END of the chain, which the chain alone cannot show. Every append moves it once it
/// has committed and before the operation answers, so no entry of an answered operation can be cut off unnoticed. Only
/// committed heads are written and the anchor only moves forward, so it never runs ahead of the table: a table shorter
/// than the anchor, or a different entry at the anchored position, means entries were removed. The file carries an
/// HMAC with the log's key. A database restored from a backup legitimately lost entries too: verification says so,
/// and an operator who accepts the loss moves the file aside.
/// </summary>
public sealed class AccessLogAnchor(IOptions<VaultOptions> options, MacKeys macs, ILogger<AccessLogAnchor> logger)
{
    public const string FileName = "access-log.anchor";
    private readonly Lock _sync = new();

    private string Path => System.IO.Path.Combine(options.Value.KeyDirectory, FileName);

    /// <summary>The anchored head; null when nothing was anchored yet.</summary>
    public (long Position, string Hash)? Read()
    {
        lock (_sync)
        {
            using var file = Open();
            return Parse(file);
        }
    }

    /// <summary>The anchored head, or null with <paramref name="damaged"/> set when the file's MAC does not match.</summary>
    public (long Position, string Hash)? TryRead(out bool damaged)
    {
        try
        {
            damaged = false;
            return Read();
        }
        catch (InvalidDataException)
        {
            damaged = true;
            return null;
        }
    }

    /// <summary>
    /// Moves the anchor to the head an append committed, when that append extended the anchored chain; otherwise
    /// entries were cut off the end (or the file is damaged), the anchor stays for verification to report, and the
    /// refusal is logged.
    /// </summary>
    public void Anchor(AppendedHead head)
    {
        if (head.ExtendsAnchor)
        {
            Advance(head.Position, head.Hash);
        }
        else
        {
            Log.AnchorRefused(logger, head.Position);
        }
    }

    /// <summary>
    /// Whether the chain in <paramref name="db"/> whose head is (<paramref name="position"/>, <paramref name="hash"/>)
    /// still holds the anchored head. Only then may the anchor move to a later head: otherwise entries were cut off the
    /// end and written again, and moving the anchor would hide it.
    /// </summary>
    public async Task<bool> ExtendsAsync(VaultDbContext db, long position, string hash, CancellationToken cancellationToken)
    {
        if (Read() is not { } anchored)
        {
            return true;
        }

        if (anchored.Position == position)
        {
            return anchored.Hash == hash;
        }

        // Also when the anchor is past this head: an append that committed after this head was read anchored its own.
        // Only a chain that no longer holds the anchored entry lost entries.
        var there = await db.AccessLog.AsNoTracking().Where(a => a.Position == anchored.Position).Select(a => a.Hash).FirstOrDefaultAsync(cancellationToken);
        return there == anchored.Hash;
    }

    /// <summary>Moves the anchor to a committed head, unless it already stands at or past it (another instance may be ahead).</summary>
    public void Advance(long position, string hash)
    {
        lock (_sync)
        {
            using var file = Open();
            if (Parse(file) is { } current && current.Position >= position)
            {
                return;
            }

            // Overwritten in place at a fixed width, never truncated: ext4 forces a file truncated to zero and written
            // again out to disk when it is closed (auto_da_alloc), and this runs after every append batch.
            var line = Encoding.ASCII.GetBytes($"{position.ToString("D19", CultureInfo.InvariantCulture)} {hash} {Mac(position, hash)}\n");
            file.Position = 0;
            file.Write(line);
            if (file.Length > line.Length)
            {
                file.SetLength(line.Length);
            }

            file.Flush();
        }
    }

    /// <summary>Exclusive across processes (FileShare.None is an flock on Unix): instances sharing the key folder take turns.</summary>
    private FileStream Open()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var open = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    open.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                return new FileStream(Path, open);
            }
            catch (IOException) when (attempt < 200 && File.Exists(Path))
            {
                Thread.Sleep(5);
            }
        }
    }

    private (long Position, string Hash)? Parse(FileStream file)
    {
        file.Position = 0;
        using var reader = new StreamReader(file, Encoding.ASCII, leaveOpen: true);
        var text = reader.ReadToEnd().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        var parts = text.Split(' ');
        return parts.Length == 3 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var position) && Mac(position, parts[1]) == parts[2]
            ? (position, parts[1])
            : throw new InvalidDataException($"The access-log anchor ({FileName} in the key folder) is damaged: its MAC does not match.");
    }

    private string Mac(long position, string hash) => macs.AccessLogHash($"anchor|{position.ToString(CultureInfo.InvariantCulture)}|{hash}");
}

/// <summary>
/// Anchors the access-log head a transaction appended once it commits, before the operation that wrote the entries
/// goes on to answer. A transaction that rolls back leaves nothing to anchor.
/// </summary>
public sealed class AccessLogAnchorOnCommit(AccessLogAnchor anchor) : AfterCommitInterceptor
{
    // A transaction disposed without commit raises no rollback event, and Npgsql hands the same transaction object out
    // again: a head still kept when the next one starts was never committed, and anchoring it would run ahead of the table.
    protected override void Started(DbContext context) => (context as VaultDbContext)?.ForgetAppendedHead();

    protected override void Committed(DbContext context, DbTransaction transaction)
    {
        if (context is VaultDbContext db && db.TakeAppendedHead(transaction) is { } head)
        {
            anchor.Anchor(head);
        }
    }

    protected override void RolledBack(DbContext context, DbTransaction transaction) => (context as VaultDbContext)?.TakeAppendedHead(transaction);
}
