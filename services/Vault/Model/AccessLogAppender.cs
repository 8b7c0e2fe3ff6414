using System.Threading.Channels;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// Group commit for the access log. The chain needs one writer at a time (an advisory lock held until commit), so
/// one transaction per read would cap reads at one commit latency each. Requests hand their entries here and wait;
/// one writer appends everything that queued up meanwhile in a single transaction, and each request goes on only
/// once its entries are durable. A read is therefore logged before any value leaves the vault.
/// </summary>
public sealed class AccessLogAppender(IServiceScopeFactory scopes, AccessLogBook book) : BackgroundService
{
    private const int MaxBatch = 512;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    public async Task AppendAsync(IReadOnlyList<AccessRecord> records, CancellationToken ct)
    {
        var pending = new Pending(records, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
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
                await book.AppendAsync(db, stoppingToken, [.. batch.SelectMany(p => p.Records)]);
                batch.ForEach(p => p.Done.TrySetResult());
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Nothing is read when its log entry could not be written: every waiting request fails.
                batch.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    private sealed record Pending(IReadOnlyList<AccessRecord> Records, TaskCompletionSource Done);
}
