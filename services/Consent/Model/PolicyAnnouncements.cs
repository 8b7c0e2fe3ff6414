using System.Text;

namespace PrivacySuite.Consent.Model;

/// <summary>
/// INF-7.1, IWK-0.1: a published policy version is announced to every active subject of its policy, by itself. The
/// announcement pages through the subjects in id order; each page is one transaction that asks the notification service
/// for the policy-update notice to that page (<see cref="NoticeCampaignRequested"/>, through the outbox) and moves the
/// version's cursor, so a crash or a failover resumes after the last committed page and nobody is asked for twice. The
/// notification service sends each subject the notice in their language, on the channels they have.
/// </summary>
public static class PolicyAnnouncements
{
    /// <summary>The notification service takes at most this many characters per variable.</summary>
    public const int MaxSummaryLength = 2000;

    /// <summary>Why an announcement cannot be sent as given (the field and what is wrong), or null when it can.</summary>
    public static (string Field, string Message)? Refusal(DateOnly effectiveDate, string summaryEn, string summaryZhCn, string reviewUrl, DateTimeOffset now)
    {
        if (effectiveDate < DateOnly.FromDateTime(now.UtcDateTime))
        {
            return ("announcement.effectiveDate", "The version cannot take effect before it is published; give today or a later date (yyyy-MM-dd).");
        }

        foreach (var (field, text) in new[] { ("announcement.summary.en", summaryEn), ("announcement.summary.zhCn", summaryZhCn) })
        {
            if (string.IsNullOrWhiteSpace(text) || text.Contains('{') || text.Contains('}') || text.Any(c => char.IsControl(c) && c != '\n'))
            {
                return (field, "Plain text: not blank, no braces, no control characters other than line breaks.");
            }
        }

        if (!Uri.TryCreate(reviewUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            return ("announcement.reviewUrl", "An absolute http(s) URL where the subject reads and accepts the version.");
        }

        return null;
    }

    /// <summary>The policy-update notice's variables, the summary in each language.</summary>
    public static Dictionary<string, string> Variables(PolicyVersion version) => new()
    {
        ["policyVersion"] = version.Version,
        ["effectiveDate"] = version.EffectiveDate!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ["summary.en"] = version.SummaryEn!,
        ["summary.zh-CN"] = version.SummaryZhCn!,
        ["reviewUrl"] = version.ReviewUrl!,
    };

    /// <summary>The notice request of one page: derived from the version and the page, so a page sent again is recognised.</summary>
    public static Guid PageRequestId(string policyId, string version, int page) =>
        NameBasedIds.From(Encoding.UTF8.GetBytes($"policy-announcement|{policyId}|{version}|{page}"));
}
