namespace PrivacySuite.Retention.Model;

/// <summary>
/// A cancellation receipt as its holder sees it: no subject id, only the removal's dates, state and certificate.
/// <see cref="State"/>: <c>waiting</c> for the removal date (or the sweep after it), <c>held</c> by a legal hold,
/// <c>done</c> with a certificate.
/// </summary>
public sealed record CancellationReceipt(DateTimeOffset CancelledAt, DateTimeOffset RemoveAfter, string Action, string State, ReceiptCertificate? Certificate);

/// <summary>The deletion certificate of a cancelled account, as its receipt shows it.</summary>
public sealed record ReceiptCertificate(Guid Id, string Outcome, IReadOnlyList<string> Categories, DateTimeOffset CompletedAt, IReadOnlyList<string> Regions,
    DateTimeOffset IssuedAt);

/// <summary>
/// IWK-2.5: an account's cancellation starts the clock after which its data is removed, and tells the person when, with
/// the link of a receipt: once the data is gone the suite has no contact left to send the deletion certificate to, so
/// the person reads it there. The receipt's id is random and names nobody; its holder sees the dates, whether a legal
/// hold keeps the data, and the certificate.
/// </summary>
public sealed class CancellationReceipts(RetentionDbContext db, IOptions<RetentionOptions> options, TimeProvider time)
{
    /// <summary>
    /// The account was cancelled: the clock starts (the first cancellation counts; a repeat changes nothing and sends
    /// nothing), and the notice with the receipt's link is queued in the same transaction.
    /// </summary>
    public async Task StartClockAsync(string subjectId, DateTimeOffset cancelledAt, CancellationToken ct)
    {
        await db.EnsureSubjectAsync(subjectId, cancelledAt, ct);
        var receipt = Guid.NewGuid();
        var started = await db.Database.ExecuteSqlAsync(
            $"update retention_subjects set cancelled_at = {cancelledAt}, cancellation_receipt = {receipt} where subject_id = {subjectId} and cancelled_at is null",
            ct);
        if (started == 0)
        {
            return;
        }

        var settings = options.Value;
        var now = time.GetUtcNow();
        db.AddIntegrationEvent(new NoticeRequested(Guid.CreateVersion7(now), NoticeTypes.CancellationNotice, subjectId,
            NoticeVariables.CancellationNotice(cancelledAt, RemoveAfter(cancelledAt), settings.CancellationAction == RetentionActions.Erase,
                new UriBuilder(settings.CancellationReceiptUrl) { Fragment = receipt.ToString() }.Uri),
            now), now);
    }

    /// <summary>The receipt with this id, or null.</summary>
    public async Task<CancellationReceipt?> ReadAsync(Guid receipt, CancellationToken ct)
    {
        var subject = await db.Subjects.AsNoTracking().SingleOrDefaultAsync(s => s.CancellationReceipt == receipt, ct);
        if (subject?.CancelledAt is not { } cancelledAt)
        {
            return null;
        }

        var action = options.Value.CancellationAction;
        var certificate = await db.DeletionCertificates.AsNoTracking().Where(c => c.SubjectId == subject.SubjectId)
            .OrderByDescending(c => c.IssuedAt).FirstOrDefaultAsync(ct);
        if (certificate is not null)
        {
            return new CancellationReceipt(cancelledAt, RemoveAfter(cancelledAt), action, "done", new ReceiptCertificate(certificate.Id, certificate.Outcome,
                certificate.Categories, certificate.CompletedAt, certificate.Regions, certificate.IssuedAt));
        }

        var held = (await db.HoldsKeepingAsync(subject.SubjectId, ct)).Count > 0;
        return new CancellationReceipt(cancelledAt, RemoveAfter(cancelledAt), action, held ? "held" : "waiting", null);
    }

    private DateTimeOffset RemoveAfter(DateTimeOffset cancelledAt) => cancelledAt.AddMonths(options.Value.CancellationMonths);
}
