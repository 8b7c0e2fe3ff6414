using MassTransit;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention.IntegrationEvents;

/// <summary>The vault erased a subject on the subject's own request: retention forgets it and certifies the erasure.</summary>
public sealed class CompleteErasureOnSubjectErased(RetentionDbContext db, RemovalOutcomes outcomes)
    : InboxConsumer<SubjectErased, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<SubjectErased> context)
    {
        var m = context.Message;
        return outcomes.CompleteSubjectErasureAsync(m.SubjectId, m.Category, m.DeletionCertificateId, m.ErasedAt, m.Regions, context.CancellationToken);
    }
}

/// <summary>The vault answered one request of a sweep: what it removed is done, what it refused is back for the next sweep.</summary>
public sealed class CompleteOnRemovalsAnswered(RetentionDbContext db, RemovalOutcomes outcomes)
    : InboxConsumer<RemovalsAnswered, RetentionDbContext>(db)
{
    protected override Task HandleAsync(ConsumeContext<RemovalsAnswered> context)
    {
        var m = context.Message;
        return outcomes.CompleteSweepItemAsync(m.RequestId, m.Action, m.Refused,
            m.Certificates.ToDictionary(c => c.SubjectId, c => c.DeletionCertificateId, StringComparer.Ordinal), m.AnsweredAt, m.Regions, context.CancellationToken);
    }
}
