using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using PrivacySuite.Notifications.Model;

namespace PrivacySuite.Notifications;

/// <summary>
/// Configuration section <c>PrivacySuite:Notifications:OnCall</c>: who is paged, and how often. The responders' contacts
/// are configuration (the deployment's secrets), never stored in the database or logged; a responder is known elsewhere
/// by their handle only.
/// </summary>
public sealed partial class OnCallOptions : IValidatableObject
{
    public const string SectionName = "PrivacySuite:Notifications:OnCall";

    /// <summary>The people who can be paged, by handle (lower-case letters, digits and dashes: a staff id, not a name).</summary>
    public Dictionary<string, OnCallResponder> Responders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The handles in the order the duty passes on; empty when nobody is on call (pages are recorded, not sent).</summary>
    public List<string> Rota { get; set; } = [];

    /// <summary>When the first handle of the rota took the duty; it passes to the next every <see cref="HandoverEvery"/>.</summary>
    public DateTimeOffset? RotaStart { get; set; }

    public TimeSpan HandoverEvery { get; set; } = TimeSpan.FromDays(7);

    /// <summary>An unacknowledged page is sent again after this long.</summary>
    public TimeSpan RepeatEvery { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>From the round after this many, the next person on the rota is paged too.</summary>
    [Range(1, 100)]
    public int EscalateAfterRounds { get; set; } = 2;

    /// <summary>How often due pages are looked for; a raised page's first round goes out at once.</summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (handle, responder) in Responders)
        {
            if (!HandlePattern().IsMatch(handle))
            {
                yield return new($"On-call handle '{handle}' is not 1-40 lower-case letters, digits or dashes.", [nameof(Responders)]);
            }

            if (responder.Contacts().Count == 0)
            {
                yield return new($"On-call responder '{handle}' has no Push, Sms or Email.", [nameof(Responders)]);
            }

            if (responder.Language is not (NoticeTemplates.Chinese or NoticeTemplates.English))
            {
                yield return new($"On-call responder '{handle}' has Language '{responder.Language}'; use zh-CN or en.", [nameof(Responders)]);
            }
        }

        foreach (var handle in Rota.Where(h => !Responders.ContainsKey(h)))
        {
            yield return new($"The on-call rota names '{handle}', who is not among the Responders.", [nameof(Rota)]);
        }

        if (Rota.Count > 0 && RotaStart is null)
        {
            yield return new("An on-call rota needs a RotaStart (when its first handle took the duty).", [nameof(RotaStart)]);
        }

        if (HandoverEvery <= TimeSpan.Zero || RepeatEvery <= TimeSpan.Zero || CheckEvery <= TimeSpan.Zero)
        {
            yield return new("HandoverEvery, RepeatEvery and CheckEvery are positive.", [nameof(RepeatEvery)]);
        }
    }

    /// <summary>
    /// Who a page's round goes to: the person on duty at <paramref name="now"/>, and from the round after
    /// <see cref="EscalateAfterRounds"/> also the next one on the rota. Empty when nobody is on call.
    /// </summary>
    public IReadOnlyList<string> Paged(DateTimeOffset now, int round)
    {
        if (Rota.Count == 0 || RotaStart is not { } start)
        {
            return [];
        }

        var shifts = (long)Math.Floor((now - start) / HandoverEvery);
        var onDuty = (int)(((shifts % Rota.Count) + Rota.Count) % Rota.Count);
        var paged = new List<string> { Rota[onDuty] };
        var next = Rota[(onDuty + 1) % Rota.Count];
        if (round > EscalateAfterRounds && !paged.Contains(next))
        {
            paged.Add(next);
        }

        return paged;
    }

    /// <summary>A page's recipient in the deliveries table: not a subject id (a slash is not allowed in one), so never mistaken for one.</summary>
    public static string RecipientOf(string handle) => RecipientPrefix + handle;

    /// <summary>The handle of a page's recipient; null for a recipient that is not one.</summary>
    public static string? HandleOf(string recipient) =>
        recipient.StartsWith(RecipientPrefix, StringComparison.Ordinal) ? recipient[RecipientPrefix.Length..] : null;

    /// <summary>The contacts of a page's recipient, push and SMS first and e-mail as the fallback; null for an unknown one.</summary>
    public SubjectContacts? ContactsOf(string recipient) =>
        HandleOf(recipient) is { } handle && Responders.TryGetValue(handle, out var responder)
            ? new SubjectContacts(responder.Language, responder.Contacts())
            : null;

    private const string RecipientPrefix = "on-call/";

    [GeneratedRegex("^[a-z0-9-]{1,40}$")]
    private static partial Regex HandlePattern();
}

public sealed class OnCallResponder
{
    public string Language { get; set; } = "";

    /// <summary>The push gateway's address for the responder's device.</summary>
    public string? Push { get; set; }

    public string? Sms { get; set; }

    public string? Email { get; set; }

    public IReadOnlyList<ContactChannel> Contacts() =>
        new[] { (ChannelNames.Push, Push), (ChannelNames.Sms, Sms), (ChannelNames.Email, Email) }
            .Where(c => !string.IsNullOrWhiteSpace(c.Item2)).Select(c => new ContactChannel(c.Item1, c.Item2!)).ToList();
}
