namespace PrivacySuite.Consent.Model;

/// <summary>
/// The vault erased subjects: the consent service keeps their ids (so that an id is never registered again for someone
/// else) and their consent history (the proof of what was agreed and when), and drops the birth date and age band.
/// </summary>
public static class SubjectErasure
{
    /// <summary>Marks <paramref name="subjectIds"/> erased in the caller's transaction; returns how many were not already.</summary>
    public static async Task<int> EraseAsync(ConsentDbContext db, IReadOnlyCollection<string> subjectIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ids = subjectIds.Distinct(StringComparer.Ordinal).ToArray();
        // The subject's row is the lock every change to its consents takes (see SubjectApi).
        var subjects = await db.Subjects
            .FromSql($"select * from subjects where subject_id = any ({ids}) and status <> 'erased' order by subject_id for update")
            .ToListAsync(cancellationToken);
        foreach (var subject in subjects)
        {
            subject.Status = SubjectStatus.Erased;
            subject.BirthDate = null;
            subject.AgeBand = null;
            subject.ErasedAt = now;

            // Every replica forgets the subject's cached state when it hears this, published once the erasure committed.
            db.AddIntegrationEvent(new ConsentRecordsErased(subject.SubjectId, now), now);
        }

        return subjects.Count;
    }
}
