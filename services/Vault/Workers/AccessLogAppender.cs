using System.Threading.Channels;
using Npgsql;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Workers;

/// <summary>
/// Group commit for the access log. The chain needs one writer at a time (an advisory lock held until commit), so
/// one transaction per read would cap reads at one commit latency each. Requests hand their entries here and wait;
/// one writer appends everything that queued up meanwhile in a single transaction, and each request goes on only
/// once its entries are durable. A read is therefore logged before any value leaves the vault.
///
/// The same transaction reports reads to retention as <see cref="SubjectDataUsed"/> (the "last use" clock), at most
/// once per token per <see cref="VaultOptions.DataUseCoalescing"/> on this instance: durable with the log entry, and
/// without an outbox row per read.
/// </summary>
public sealed class AccessLogAppender(
    IServiceScopeFactory scopes, AccessLogBook book, AccessLogAnchor anchor, OutboxSignal outbox, TimeProvider time, IOptions<VaultOptions> options)
    : BackgroundService
{
    private const int MaxBatch = 512;
    private const int MaxRemembered = 200_000;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    // Only the single reader touches it.
    private readonly Dictionary<string, DateTimeOffset> _reported = new(StringComparer.Ordinal);

    /// <summary>Appends <paramref name="records"/>; <paramref name="used"/> names the values a read used (subject, token).</summary>
    public async Task AppendAsync(IReadOnlyList<AccessRecord> records, CancellationToken ct, IReadOnlyList<(string SubjectId, string Token)>? used = null)
    {
        var pending = new Pending(records, used ?? [], new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, ct);
        await pending.Done.Task.WaitAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<VaultDbContext>();
                var now = time.GetUtcNow();
                var uses = Due(batch.SelectMany(p => p.Used), now);
                await WriteAsync(db, [.. batch.SelectMany(p => p.Records)], uses, now, stoppingToken);
                Remember(uses, now);
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Nothing is read when its log entry could not be written and anchored: every waiting request fails.
                batch.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    /// <summary>
    /// One transaction on a raw connection: committing through EF would wake the outbox relay after every batch, though
    /// only a batch that reports a use writes an outbox row (then the relay is woken here). A batch without one takes
    /// two round trips; one with one takes four (the outbox rows are saved by EF in the same transaction).
    /// </summary>
    private async Task WriteAsync(VaultDbContext db, List<AccessRecord> records, List<(string SubjectId, string Token)> uses, DateTimeOffset now, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            if (uses.Count == 0)
            {
                if (await book.AppendAndCommitAsync(connection, records, ct) is { } committed)
                {
                    anchor.Anchor(committed);
                }

                return;
            }

            await using var transaction = await connection.BeginTransactionAsync(ct);
            var head = await book.AppendAsync(transaction, records, ct);
            foreach (var (subjectId, token) in uses)
            {
                db.AddIntegrationEvent(new SubjectDataUsed(subjectId, token, now), now);
            }

            await db.Database.UseTransactionAsync(transaction, ct);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            if (head is not null)
            {
                anchor.Anchor(head);
            }

            outbox.Notify();
        }
        finally
        {
            await db.Database.UseTransactionAsync(null, ct);
            await db.Database.CloseConnectionAsync();
        }
    }

    private List<(string SubjectId, string Token)> Due(IEnumerable<(string SubjectId, string Token)> used, DateTimeOffset now)
    {
        var window = options.Value.DataUseCoalescing;
        return [.. used.DistinctBy(u => u.Token).Where(u => !_reported.TryGetValue(u.Token, out var at) || now - at >= window)];
    }

    private void Remember(List<(string SubjectId, string Token)> uses, DateTimeOffset now)
    {
        if (_reported.Count + uses.Count > MaxRemembered)
        {
            _reported.Clear();
        }

        foreach (var (_, token) in uses)
        {
            _reported[token] = now;
        }
    }

    private sealed record Pending(IReadOnlyList<AccessRecord> Records, IReadOnlyList<(string SubjectId, string Token)> Used, TaskCompletionSource Done);
}
