using System.Collections.Concurrent;
using MassTransit;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Retention.Tests;

public sealed record Received<T>(Guid MessageId, T Message);

/// <summary>One subject of a removal request the vault stand-in received, so tests read a request for many subjects one subject at a time.</summary>
public sealed record SubjectRemoval(string SubjectId, string Reason, DateTimeOffset RequestedAt, DataCategory? Category, Guid SweepItemId, IReadOnlyList<string> Tokens);

/// <summary>
/// Stands in for the vault and the notification service, which are built in parallel and not here yet: it publishes
/// what they publish (SubjectDataStored, AccountCancelled, ...) on the service's virtual host, records what retention
/// asks of them, and, like the vault, answers erasure and anonymisation requests unless told not to.
/// </summary>
public sealed class FarSide : IAsyncDisposable
{
    private readonly IBusControl _bus;

    // What this stand-in announced as stored and has not removed since, as the vault holds it: an ExpiredRemovalsRequested
    // names a schedule, and the vault finds the values it covers among its own.
    private readonly ConcurrentDictionary<string, SubjectDataStored> _stored = new();

    private FarSide(IBusControl bus) => _bus = bus;

    public ConcurrentQueue<Received<SubjectRemoval>> Erasures { get; } = new();
    public ConcurrentQueue<Received<SubjectRemoval>> Anonymisations { get; } = new();
    public ConcurrentQueue<Received<ExpiredRemovalsRequested>> ExpiredRemovals { get; } = new();
    public ConcurrentQueue<Received<NoticeRequested>> Notices { get; } = new();
    public ConcurrentQueue<Received<BulletinRequested>> Bulletins { get; } = new();
    public ConcurrentQueue<Received<LegalHoldPlaced>> HoldsPlaced { get; } = new();
    public ConcurrentQueue<Received<LegalHoldReleased>> HoldsReleased { get; } = new();
    public ConcurrentQueue<Received<CollectionStopped>> CollectionStops { get; } = new();
    public ConcurrentQueue<Received<OnCallPageRequested>> Pages { get; } = new();

    /// <summary>Whether the vault stand-in answers what it receives.</summary>
    public bool AnswersAsVault { get; set; } = true;

    public static async Task<FarSide> StartAsync(string rabbitMq)
    {
        FarSide? farSide = null;
        RabbitMqAddress.TryParse(rabbitMq, out var address);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
            });
            cfg.ReceiveEndpoint("far-side", e =>
            {
                e.Handler<RemovalsRequested>(async ctx =>
                {
                    var m = ctx.Message;
                    var bySubject = m.Tokens.Zip(m.TokenSubjects).ToLookup(t => t.Second, t => t.First);
                    var subjects = m.Category is null ? m.SubjectIds : bySubject.Select(g => g.Key);
                    farSide!.RecordRemovals(ctx.MessageId!.Value, m.RequestId, m.Action, m.Category, m.Reason, m.RequestedAt,
                        subjects.Select(s => (s, bySubject[s].ToList())));
                    if (farSide.AnswersAsVault)
                    {
                        IReadOnlyList<SubjectCertificate> certificates = m.Category is null && m.Action == "erase"
                            ? [.. m.SubjectIds.Select(s => new SubjectCertificate(s, Guid.NewGuid()))]
                            : [];
                        await ctx.Publish(new RemovalsAnswered(m.RequestId, m.Action, m.Category, [], certificates, DateTimeOffset.UtcNow, [Region.Beijing, Region.Guangzhou]));
                    }
                });
                e.Handler<ExpiredRemovalsRequested>(async ctx =>
                {
                    // As the vault does: the values of the category stored before the cut-off of each named subject, if any.
                    var m = ctx.Message;
                    farSide!.ExpiredRemovals.Enqueue(new(ctx.MessageId!.Value, m));
                    var named = m.SubjectIds.ToHashSet(StringComparer.Ordinal);
                    var covered = farSide._stored.Values
                        .Where(v => named.Contains(v.SubjectId) && v.Category == m.Category && v.StoredAt < m.StoredBefore)
                        .GroupBy(v => v.SubjectId, v => v.Token)
                        .Select(g => (g.Key, g.ToList()));
                    farSide.RecordRemovals(ctx.MessageId!.Value, m.RequestId, m.Action, m.Category, m.Reason, m.RequestedAt, covered);
                    if (farSide.AnswersAsVault)
                    {
                        await ctx.Publish(new RemovalsAnswered(m.RequestId, m.Action, m.Category, [], [], DateTimeOffset.UtcNow, [Region.Beijing, Region.Guangzhou]));
                    }
                });
                e.Handler<NoticeRequested>(ctx => Record(farSide!.Notices, ctx));
                e.Handler<BulletinRequested>(ctx => Record(farSide!.Bulletins, ctx));
                e.Handler<LegalHoldPlaced>(ctx => Record(farSide!.HoldsPlaced, ctx));
                e.Handler<LegalHoldReleased>(ctx => Record(farSide!.HoldsReleased, ctx));
                e.Handler<CollectionStopped>(ctx => Record(farSide!.CollectionStops, ctx));
                e.Handler<OnCallPageRequested>(ctx => Record(farSide!.Pages, ctx));
            });
        });
        farSide = new FarSide(bus);
        await bus.StartAsync();
        return farSide;
    }

    public Task PublishAsync<T>(T message)
        where T : class
    {
        if (message is SubjectDataStored stored)
        {
            _stored[stored.Token] = stored;
        }

        return _bus.Publish(message);
    }

    /// <summary>Records a request for many subjects one subject at a time.</summary>
    private void RecordRemovals(Guid messageId, Guid requestId, string action, DataCategory? category, string reason, DateTimeOffset requestedAt,
        IEnumerable<(string Subject, List<string> Tokens)> subjects)
    {
        foreach (var (subject, tokens) in subjects)
        {
            foreach (var token in tokens)
            {
                _stored.TryRemove(token, out _);
            }

            if (action == "anonymise")
            {
                Anonymisations.Enqueue(new(messageId, new SubjectRemoval(subject, reason, requestedAt, category, requestId, tokens)));
            }
            else
            {
                Erasures.Enqueue(new(messageId, new SubjectRemoval(subject, reason, requestedAt, category, requestId, tokens)));
            }
        }
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();

    private static Task Record<T>(ConcurrentQueue<Received<T>> queue, ConsumeContext<T> context)
        where T : class
    {
        queue.Enqueue(new(context.MessageId!.Value, context.Message));
        return Task.CompletedTask;
    }
}
