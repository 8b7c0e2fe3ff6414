using System.Threading.Channels;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace PrivacySuite.Notifications.Model;

/// <summary>
/// Group commit for the send ledger. The dispatcher's workers each wait for their claim (committed before the send) and
/// for their completion (the attempt sent, the delivery done and NoticesDelivered in the outbox, in one transaction);
/// one writer commits whatever claims, and whatever completions, are waiting at that moment together. A worker still
/// waits for its own commit, so what a crash can leave behind is what it could before: an attempt committed as
/// <c>sending</c> whose result was not recorded, which the next claim marks in doubt and never repeats. The batching
/// only saves PostgreSQL a transaction (and the service several round trips) per e-mail; it adds no wait when idle.
/// </summary>
public sealed class SendLedger(IServiceScopeFactory scopes, TimeProvider time)
{
    private const int MaxBatch = 256;

    private readonly Batcher<ChannelClaim, string?> _claims = new(MaxBatch);
    private readonly Batcher<SentDelivery, bool> _completions = new(MaxBatch);

    /// <summary>Commits a <c>sending</c> attempt; null when this claim is new, else the state of the attempt found.</summary>
    public Task<string?> ClaimAsync(Delivery delivery, string channel) =>
        _claims.SubmitAsync(new ChannelClaim(delivery.RequestId, delivery.SubjectId, channel));

    /// <summary>
    /// Records the attempt as sent and the delivery as delivered, in its batch's NoticesDelivered event; false when another
    /// dispatcher had already finished the delivery (then no second event is raised).
    /// </summary>
    public Task<bool> CompleteAsync(Delivery delivery, string channel) =>
        _completions.SubmitAsync(new SentDelivery(delivery.Sequence, delivery.RequestId, delivery.SubjectId, channel));

    /// <summary>Writes batches until <see cref="Complete"/> was called and all that was submitted is written.</summary>
    public Task RunAsync() => Task.WhenAll(_claims.RunAsync(WriteClaimsAsync), _completions.RunAsync(WriteCompletionsAsync));

    /// <summary>Takes no more work; called once the workers have stopped.</summary>
    public void Complete()
    {
        _claims.Complete();
        _completions.Complete();
    }

    private async Task<IReadOnlyList<string?>> WriteClaimsAsync(IReadOnlyList<ChannelClaim> claims)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        await db.Database.OpenConnectionAsync();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var requestIds = claims.Select(c => c.RequestId).ToArray();
        var subjectIds = claims.Select(c => c.SubjectId).ToArray();
        var channels = claims.Select(c => c.Channel).ToArray();

        // One statement, so one transaction: every claim in it is committed before any of its sends starts.
        var inserted = new HashSet<ChannelClaim>();
        await using (var insert = new NpgsqlCommand(
            """
            insert into send_attempts (request_id, subject_id, channel, state, started_at)
            select r, s, c, 'sending', $4 from unnest($1::uuid[], $2::text[], $3::text[]) as u(r, s, c)
            on conflict do nothing
            returning request_id, subject_id, channel
            """, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = requestIds });
            insert.Parameters.Add(new NpgsqlParameter { Value = subjectIds });
            insert.Parameters.Add(new NpgsqlParameter { Value = channels });
            insert.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            await using var reader = await insert.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                inserted.Add(new ChannelClaim(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        var found = new Dictionary<ChannelClaim, string>();
        var existing = claims.Where(c => !inserted.Contains(c)).ToList();
        if (existing.Count > 0)
        {
            // A statement of its own, so that its snapshot sees an attempt another dispatcher committed meanwhile.
            await using var select = new NpgsqlCommand(
                """
                select a.request_id, a.subject_id, a.channel, a.state from send_attempts a
                join unnest($1::uuid[], $2::text[], $3::text[]) as u(r, s, c) on a.request_id = u.r and a.subject_id = u.s and a.channel = u.c
                """, connection);
            select.Parameters.Add(new NpgsqlParameter { Value = existing.Select(c => c.RequestId).ToArray() });
            select.Parameters.Add(new NpgsqlParameter { Value = existing.Select(c => c.SubjectId).ToArray() });
            select.Parameters.Add(new NpgsqlParameter { Value = existing.Select(c => c.Channel).ToArray() });
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                found[new ChannelClaim(reader.GetGuid(0), reader.GetString(1), reader.GetString(2))] = reader.GetString(3);
            }
        }

        return claims.Select(c => inserted.Contains(c) ? null
            : found.TryGetValue(c, out var state) ? state
            : throw new InvalidOperationException("A send attempt was neither claimed nor found.")).ToList();
    }

    private async Task<IReadOnlyList<bool>> WriteCompletionsAsync(IReadOnlyList<SentDelivery> sent)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction)tx.GetDbTransaction();

        await using (var attempts = new NpgsqlCommand(
            """
            update send_attempts a set state = 'sent', finished_at = $4
            from unnest($1::uuid[], $2::text[], $3::text[]) as u(r, s, c)
            where a.request_id = u.r and a.subject_id = u.s and a.channel = u.c
            """, connection, transaction))
        {
            attempts.Parameters.Add(new NpgsqlParameter { Value = sent.Select(d => d.RequestId).ToArray() });
            attempts.Parameters.Add(new NpgsqlParameter { Value = sent.Select(d => d.SubjectId).ToArray() });
            attempts.Parameters.Add(new NpgsqlParameter { Value = sent.Select(d => d.Channel).ToArray() });
            attempts.Parameters.Add(new NpgsqlParameter { Value = now });
            await attempts.ExecuteNonQueryAsync();
        }

        // Guarded by status, so that two dispatchers racing on an expired lease raise the final event once.
        var finished = new HashSet<long>();
        await using (var deliveries = new NpgsqlCommand(
            """
            update deliveries d set status = 'delivered', channel = u.c, reason = null, completed_at = $3, lease_until = null
            from unnest($1::bigint[], $2::text[]) as u(q, c)
            where d.sequence = u.q and d.status = 'pending'
            returning d.sequence
            """, connection, transaction))
        {
            deliveries.Parameters.Add(new NpgsqlParameter { Value = sent.Select(d => d.Sequence).ToArray() });
            deliveries.Parameters.Add(new NpgsqlParameter { Value = sent.Select(d => d.Channel).ToArray() });
            deliveries.Parameters.Add(new NpgsqlParameter { Value = now });
            await using var reader = await deliveries.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                finished.Add(reader.GetInt64(0));
            }
        }

        if (finished.Count > 0)
        {
            // The requests' progress, in the same transaction as the deliveries it counts.
            await using var progress = new NpgsqlCommand(
                """
                update notice_requests r set delivered_count = r.delivered_count + u.n
                from (select q, count(*)::int as n from unnest($1::uuid[]) as q group by q) u
                where r.request_id = u.q
                """, connection, transaction);
            progress.Parameters.Add(new NpgsqlParameter { Value = sent.Where(d => finished.Contains(d.Sequence)).Select(d => d.RequestId).ToArray() });
            await progress.ExecuteNonQueryAsync();
        }

        // One NoticesDelivered per request of the batch: an outbox row, a publish and a consumer's inbox claim per commit,
        // not per person told (they were most of PostgreSQL's and the relay's work in a campaign).
        var events = sent.Where(d => finished.Contains(d.Sequence)).GroupBy(d => d.RequestId)
            .Select(g => new NoticesDelivered(g.Key, g.Select(d => new DeliveredNotice(d.SubjectId, d.Channel)).ToList(), now)).ToList();
        if (events.Count > 0)
        {
            await db.AddIntegrationEventsAsync(events, now, CancellationToken.None);
        }

        await tx.CommitAsync();
        return sent.Select(d => finished.Contains(d.Sequence)).ToList();
    }

    private sealed record ChannelClaim(Guid RequestId, string SubjectId, string Channel);

    private sealed record SentDelivery(long Sequence, Guid RequestId, string SubjectId, string Channel);

    /// <summary>Hands each batch of what is waiting to one write; every submitter gets its own result or the batch's error.</summary>
    private sealed class Batcher<TItem, TResult>(int maxBatch)
    {
        private readonly Channel<(TItem Item, TaskCompletionSource<TResult> Done)> _queue =
            Channel.CreateUnbounded<(TItem, TaskCompletionSource<TResult>)>(new UnboundedChannelOptions { SingleReader = true });

        public Task<TResult> SubmitAsync(TItem item)
        {
            var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _queue.Writer.TryWrite((item, done))
                ? done.Task
                : Task.FromException<TResult>(new InvalidOperationException("The send ledger has stopped."));
        }

        public void Complete() => _queue.Writer.TryComplete();

        public async Task RunAsync(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> write)
        {
            var batch = new List<(TItem Item, TaskCompletionSource<TResult> Done)>(maxBatch);
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (batch.Count < maxBatch && _queue.Reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                try
                {
                    var results = await write(batch.Select(b => b.Item).ToList());
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Done.TrySetResult(results[i]);
                    }
                }
                catch (Exception e)
                {
                    // The database went away: each worker handles it as it handled its own failed statement before.
                    foreach (var (_, done) in batch)
                    {
                        done.TrySetException(e);
                    }
                }

                batch.Clear();
            }
        }
    }
}
