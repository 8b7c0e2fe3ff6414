using System.Collections.Concurrent;
using MassTransit;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Retention.Tests;

public sealed record Received<T>(Guid MessageId, T Message);

/// <summary>
/// Stands in for the vault and the notification service, which are built in parallel and not here yet: it publishes
/// what they publish (SubjectDataStored, AccountCancelled, ...) on the service's virtual host, records what retention
/// asks of them, and, like the vault, answers erasure and anonymisation requests unless told not to.
/// </summary>
public sealed class FarSide : IAsyncDisposable
{
    private readonly IBusControl _bus;

    private FarSide(IBusControl bus) => _bus = bus;

    public ConcurrentQueue<Received<ErasureRequested>> Erasures { get; } = new();
    public ConcurrentQueue<Received<AnonymisationRequested>> Anonymisations { get; } = new();
    public ConcurrentQueue<Received<NoticeRequested>> Notices { get; } = new();
    public ConcurrentQueue<Received<BulletinRequested>> Bulletins { get; } = new();
    public ConcurrentQueue<Received<LegalHoldPlaced>> HoldsPlaced { get; } = new();
    public ConcurrentQueue<Received<LegalHoldReleased>> HoldsReleased { get; } = new();
    public ConcurrentQueue<Received<CollectionStopped>> CollectionStops { get; } = new();

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
                e.Handler<ErasureRequested>(async ctx =>
                {
                    farSide!.Erasures.Enqueue(new(ctx.MessageId!.Value, ctx.Message));
                    if (farSide.AnswersAsVault)
                    {
                        var m = ctx.Message;
                        await ctx.Publish(new SubjectErased(m.SubjectId, Guid.NewGuid(), DateTimeOffset.UtcNow, m.Category, m.SweepItemId, [Region.Beijing, Region.Guangzhou]));
                    }
                });
                e.Handler<AnonymisationRequested>(async ctx =>
                {
                    farSide!.Anonymisations.Enqueue(new(ctx.MessageId!.Value, ctx.Message));
                    if (farSide.AnswersAsVault)
                    {
                        var m = ctx.Message;
                        await ctx.Publish(new SubjectAnonymised(m.SubjectId, m.Category, m.SweepItemId, DateTimeOffset.UtcNow));
                    }
                });
                e.Handler<RemovalsRequested>(async ctx =>
                {
                    // Recorded one subject at a time, in the shape of the single requests, so tests read them alike.
                    var m = ctx.Message;
                    var bySubject = m.Tokens.Zip(m.TokenSubjects).ToLookup(t => t.Second, t => t.First);
                    foreach (var subject in m.Category is null ? m.SubjectIds : bySubject.Select(g => g.Key))
                    {
                        var tokens = bySubject[subject].ToList();
                        if (m.Action == "anonymise")
                        {
                            farSide!.Anonymisations.Enqueue(new(ctx.MessageId!.Value, new AnonymisationRequested(subject, m.Category, m.RequestId, tokens, m.Reason, m.RequestedAt)));
                        }
                        else
                        {
                            farSide!.Erasures.Enqueue(new(ctx.MessageId!.Value, new ErasureRequested(subject, m.Reason, m.RequestedAt, m.Category, m.RequestId, tokens)));
                        }
                    }

                    if (farSide!.AnswersAsVault)
                    {
                        IReadOnlyList<SubjectCertificate> certificates = m.Category is null && m.Action == "erase"
                            ? [.. m.SubjectIds.Select(s => new SubjectCertificate(s, Guid.NewGuid()))]
                            : [];
                        await ctx.Publish(new RemovalsAnswered(m.RequestId, m.Action, m.Category, [], certificates, DateTimeOffset.UtcNow, [Region.Beijing, Region.Guangzhou]));
                    }
                });
                e.Handler<NoticeRequested>(ctx => Record(farSide!.Notices, ctx));
                e.Handler<BulletinRequested>(ctx => Record(farSide!.Bulletins, ctx));
                e.Handler<LegalHoldPlaced>(ctx => Record(farSide!.HoldsPlaced, ctx));
                e.Handler<LegalHoldReleased>(ctx => Record(farSide!.HoldsReleased, ctx));
                e.Handler<CollectionStopped>(ctx => Record(farSide!.CollectionStops, ctx));
            });
        });
        farSide = new FarSide(bus);
        await bus.StartAsync();
        return farSide;
    }

    public Task PublishAsync<T>(T message)
        where T : class => _bus.Publish(message);

    public async ValueTask DisposeAsync() => await _bus.StopAsync();

    private static Task Record<T>(ConcurrentQueue<Received<T>> queue, ConsumeContext<T> context)
        where T : class
    {
        queue.Enqueue(new(context.MessageId!.Value, context.Message));
        return Task.CompletedTask;
    }
}
