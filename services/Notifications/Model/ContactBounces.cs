using System.Security.Cryptography;
using System.Text;
using PrivacySuite.Notifications.Channels;

namespace PrivacySuite.Notifications.Model;

/// <summary>A subject's contact that bounced: the channel and a keyed hash of the address, never the address.</summary>
public sealed class ContactBounce
{
    public string SubjectId { get; set; } = "";

    public string Channel { get; set; } = "";

    public string ContactHash { get; set; } = "";

    /// <summary>The request whose send bounced.</summary>
    public Guid RequestId { get; set; }

    public DateTimeOffset BouncedAt { get; set; }
}

/// <summary>
/// Bounces, kept against the contact: a permanent refusal of the recipient is recorded with the subject, the channel and
/// an HMAC of the address under the service's contact key (an address alone, or the table alone, does not give the
/// other). A notice skips a contact whose current address bounced; a changed address has another hash and is tried.
/// </summary>
public sealed class ContactBounces(IOptions<NotificationsOptions> options, TimeProvider time)
{
    private readonly byte[] _key = Convert.FromHexString(options.Value.ContactKey);

    /// <summary>The channels of each subject whose current address bounced before, as (subject, channel).</summary>
    public async Task<IReadOnlySet<(string SubjectId, string Channel)>> BouncedAsync(
        NotificationsDbContext db, IEnumerable<(string SubjectId, ContactChannel Contact)> contacts, CancellationToken cancellationToken)
    {
        var hashes = new Dictionary<(string, string, string), (string SubjectId, string Channel)>();
        foreach (var (subjectId, contact) in contacts)
        {
            hashes.TryAdd((subjectId, contact.Channel, Hash(contact)), (subjectId, contact.Channel));
        }

        if (hashes.Count == 0)
        {
            return new HashSet<(string, string)>();
        }

        var subjects = hashes.Values.Select(v => v.SubjectId).Distinct().ToList();
        var bounced = await db.ContactBounces.AsNoTracking().Where(b => subjects.Contains(b.SubjectId))
            .Select(b => new { b.SubjectId, b.Channel, b.ContactHash }).ToListAsync(cancellationToken);
        return bounced.Where(b => hashes.ContainsKey((b.SubjectId, b.Channel, b.ContactHash))).Select(b => (b.SubjectId, b.Channel)).ToHashSet();
    }

    /// <summary>Records the bounce and the attempt's end in one commit; a second bounce of the same address changes nothing.</summary>
    public async Task RecordAsync(NotificationsDbContext db, Delivery delivery, ContactChannel contact, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hash = Hash(contact);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SendAttempts
            .Where(a => a.RequestId == delivery.RequestId && a.SubjectId == delivery.SubjectId && a.Channel == contact.Channel)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.State, AttemptState.Bounced).SetProperty(a => a.FinishedAt, now), cancellationToken);
        await db.Database.ExecuteSqlAsync(
            $"""
            insert into contact_bounces (subject_id, channel, contact_hash, request_id, bounced_at)
            values ({delivery.SubjectId}, {contact.Channel}, {hash}, {delivery.RequestId}, {now})
            on conflict do nothing
            """, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    // Case-insensitive and trimmed, so that the same mailbox written otherwise is the same contact.
    private string Hash(ContactChannel contact) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{contact.Channel}\n{contact.Address.Trim().ToLowerInvariant()}")));
}
