namespace PrivacySuite.Vault.Model;

/// <summary>A subject's contact values as the notification service asks for them: <see cref="Found"/>, <see cref="Unknown"/> or <see cref="Erased"/>.</summary>
public sealed record SubjectContacts(string SubjectId, string Status, IReadOnlyDictionary<string, string> Values)
{
    public const string Found = "found";
    public const string Unknown = "unknown";
    public const string Erased = "erased";
}

public sealed partial class VaultService
{
    /// <summary>
    /// The contact values of each subject, in the order asked (once each), to send a notice now: every readable subject's
    /// read is logged with purpose notification (one group commit) before anything is decrypted. A subject erased before
    /// or while this was read has no one to contact.
    /// </summary>
    public async Task<List<SubjectContacts>> ContactsAsync(IReadOnlyCollection<string> subjectIds, string accessor, CancellationToken ct)
    {
        var wanted = subjectIds.Distinct(StringComparer.Ordinal).ToList();
        var subjects = await db.Subjects.AsNoTracking().Where(x => wanted.Contains(x.SubjectId)).ToDictionaryAsync(x => x.SubjectId, ct);
        var readable = subjects.Values.Where(x => x.WrappedKey is not null).Select(x => x.SubjectId).ToList();
        var rows = readable.Count == 0 ? [] : await db.Values.AsNoTracking()
            .Where(v => readable.Contains(v.SubjectId) && v.Category == Categories.Contact).ToListAsync(ct);

        var bySubject = rows.ToLookup(r => r.SubjectId);
        if (readable.Count > 0)
        {
            await appender.AppendAsync(
                readable.Select(id => new AccessRecord("read", "allowed", id, accessor, "notification", Categories.Contact,
                    Detail: $"fields={bySubject[id].Count()}")).ToList(), ct);
        }

        var answers = new List<SubjectContacts>(wanted.Count);
        foreach (var id in wanted)
        {
            if (!subjects.TryGetValue(id, out var subject))
            {
                answers.Add(new SubjectContacts(id, SubjectContacts.Unknown, new Dictionary<string, string>()));
                continue;
            }

            try
            {
                var values = subject.WrappedKey is null ? throw new SubjectErasedException()
                    : Decrypt(bySubject[id], subjects).ToDictionary(v => v.Field, v => v.Value);
                answers.Add(new SubjectContacts(id, SubjectContacts.Found, values));
            }
            catch (SubjectErasedException)
            {
                answers.Add(new SubjectContacts(id, SubjectContacts.Erased, new Dictionary<string, string>()));
            }
        }

        return answers;
    }
}
