using MassTransit;

namespace PrivacySuite.Consent.IntegrationEvents;

/// <summary>The vault erased a whole subject (the person's request or retention's): the consent service forgets it too.</summary>
public sealed class EraseRecordsOnSubjectErased(ConsentDbContext db, TimeProvider time) : InboxConsumer<SubjectErased, ConsentDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<SubjectErased> context)
    {
        // A category's erasure leaves the subject.
        if (context.Message.Category is null)
        {
            await SubjectErasure.EraseAsync(Db, [context.Message.SubjectId], time.GetUtcNow(), context.CancellationToken);
        }
    }
}

/// <summary>A retention sweep's whole-subject erasures, answered by the vault in one message: each erased subject has a certificate.</summary>
public sealed class EraseRecordsOnRemovalsAnswered(ConsentDbContext db, TimeProvider time) : InboxConsumer<RemovalsAnswered, ConsentDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<RemovalsAnswered> context)
    {
        var m = context.Message;
        if (m.Action == "erase" && m.Category is null && m.Certificates.Count > 0)
        {
            await SubjectErasure.EraseAsync(Db, [.. m.Certificates.Select(c => c.SubjectId)], time.GetUtcNow(), context.CancellationToken);
        }
    }
}
