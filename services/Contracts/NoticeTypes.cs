using System.Globalization;

namespace PrivacySuite.Contracts;

/// <summary>
/// The notice types the notification service has a zh-CN and an en template for: the one list producers and the
/// template catalogue share, so a producer cannot name a notice nobody can render. Each type's variables are built by
/// <see cref="NoticeVariables"/>, which is what producers call and what the catalogue is tested against.
/// </summary>
public static class NoticeTypes
{
    /// <summary>A new privacy policy version (INF-7.1).</summary>
    public const string PolicyUpdate = "policy-update";

    /// <summary>A personal-information security incident (INF-3.4, IWK-2.8); also the template of an incident's bulletin.</summary>
    public const string IncidentNotice = "incident-notice";

    /// <summary>The service ends (IWK-2.6): the first notice, at least 30 days ahead.</summary>
    public const string TerminationNotice = "termination-notice";

    /// <summary>The service ends (IWK-2.6): the reminders before the end date.</summary>
    public const string TerminationReminder = "termination-reminder";

    /// <summary>A one-time code that verifies the subject before a rights request is acted on (INF-6.3).</summary>
    public const string VerificationCode = "verification-code";

    /// <summary>
    /// A one-time code that confirms the receiver is the guardian of a minor, before the guardian's consent for the minor is
    /// recorded (IWK-3.1). Its variables are a verification code's (<see cref="NoticeVariables.VerificationCode"/>).
    /// </summary>
    public const string GuardianVerificationCode = "guardian-verification-code";

    /// <summary>The subject's data was erased or anonymised; the certificate id proves it (IWK-2.5, INF-6.4).</summary>
    public const string DeletionCertificate = "deletion-certificate";

    /// <summary>
    /// The subject's account was cancelled: when their data goes (IWK-2.5), and the link of a receipt where they follow
    /// it and, afterwards, read its deletion certificate (no contact is left to send that one to).
    /// </summary>
    public const string CancellationNotice = "cancellation-notice";

    /// <summary>Personal information was disclosed to an authority under the law (INF-5.4).</summary>
    public const string DisclosureNotice = "disclosure-notice";

    /// <summary>Personal information moves to another controller in a merger (INF-5.3).</summary>
    public const string MergerTransferNotice = "merger-transfer-notice";

    /// <summary>
    /// A page to the on-call person on the rota (issue 21.5): a regulator deadline nears or passed, a legal hold is past its
    /// review, erasures are stuck. Raised by <see cref="OnCallPageRequested"/> and sent by the notification service itself,
    /// never asked for through its notice API.
    /// </summary>
    public const string OnCallPage = "on-call-page";

    public static readonly IReadOnlyList<string> All =
        [PolicyUpdate, IncidentNotice, TerminationNotice, TerminationReminder, VerificationCode, GuardianVerificationCode, DeletionCertificate, CancellationNotice,
         DisclosureNotice, MergerTransferNotice, OnCallPage];
}

/// <summary>
/// The variables of each notice type, by the names its templates use. Values are no personal data: the notification
/// service fetches the contact from the vault and fills the rest from these. Dates are <c>yyyy-MM-dd</c>; a text written
/// per language travels as <c>name.zh-CN</c> and <c>name.en</c>.
/// </summary>
public static class NoticeVariables
{
    public const string Chinese = "zh-CN";
    public const string English = "en";

    /// <summary>
    /// A verification code (also a guardian's), by reference: the notification service fetches the code, its expiry and the contacts it goes
    /// to from the vault when it sends (<c>POST /v1/verifications/{id}/delivery</c>). The code itself is never a variable:
    /// no event, queue or table holds it (issue 18.4).
    /// </summary>
    public static Dictionary<string, string> VerificationCode(Guid verificationId) => new()
    {
        ["verificationId"] = verificationId.ToString(),
    };

    /// <summary>A deletion certificate; <paramref name="erased"/> is true for an erasure, false for an anonymisation.</summary>
    public static Dictionary<string, string> DeletionCertificate(Guid certificateId, DateTimeOffset completedAt, bool erased,
        IEnumerable<string> categories, IEnumerable<string> regions, Uri verifyUrl) => new()
    {
        ["certificateId"] = certificateId.ToString(),
        ["erasedAt"] = Date(completedAt),
        ["categories"] = string.Join(",", categories),
        ["regions"] = string.Join(",", regions),
        [$"outcome.{Chinese}"] = erased ? "删除" : "匿名化处理",
        [$"outcome.{English}"] = erased ? "erased" : "anonymised",
        ["verifyUrl"] = verifyUrl.ToString(),
    };

    /// <summary>
    /// An account's cancellation: its data is kept until <paramref name="removeAfter"/>, then erased
    /// (<paramref name="erase"/>) or anonymised; <paramref name="receiptUrl"/> shows where that stands and the certificate.
    /// </summary>
    public static Dictionary<string, string> CancellationNotice(DateTimeOffset cancelledAt, DateTimeOffset removeAfter, bool erase, Uri receiptUrl) => new()
    {
        ["cancelledAt"] = Date(cancelledAt),
        ["removeAfter"] = Date(removeAfter),
        [$"outcome.{Chinese}"] = erase ? "删除" : "匿名化处理",
        [$"outcome.{English}"] = erase ? "erased" : "anonymised",
        ["receiptUrl"] = receiptUrl.ToString(),
    };

    public static Dictionary<string, string> DisclosureNotice(string authority, string legalBasis, IEnumerable<string> categories, DateTimeOffset disclosedAt) => new()
    {
        ["authority"] = authority,
        ["legalBasis"] = legalBasis,
        ["categories"] = string.Join(", ", categories),
        ["disclosedAt"] = Date(disclosedAt),
    };

    /// <summary>The first termination notice; <paramref name="erase"/> is true when the data is erased at the end, false when anonymised.</summary>
    public static Dictionary<string, string> TerminationNotice(string serviceName, DateTimeOffset endsAt, bool erase, Uri exportUrl) => new()
    {
        ["serviceName"] = serviceName,
        ["endDate"] = Date(endsAt),
        [$"dataHandling.{Chinese}"] = erase ? "停止运营后，您的个人信息将被删除。" : "停止运营后，您的个人信息将被匿名化处理，无法再识别到您。",
        [$"dataHandling.{English}"] = erase ? "It will be erased after the end date." : "It will be anonymised after the end date, so that it no longer identifies you.",
        ["exportUrl"] = exportUrl.ToString(),
    };

    public static Dictionary<string, string> TerminationReminder(string serviceName, DateTimeOffset endsAt, int daysLeft, bool erase, Uri exportUrl)
    {
        var variables = TerminationNotice(serviceName, endsAt, erase, exportUrl);
        variables["daysLeft"] = daysLeft.ToString(CultureInfo.InvariantCulture);
        return variables;
    }

    public static Dictionary<string, string> PolicyUpdate(string policyVersion, DateOnly effectiveDate, string summary, Uri reviewUrl) => new()
    {
        ["policyVersion"] = policyVersion,
        ["effectiveDate"] = effectiveDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["summary"] = summary,
        ["reviewUrl"] = reviewUrl.ToString(),
    };

    public static Dictionary<string, string> MergerTransferNotice(string recipient, string recipientContact, DateOnly transferDate, string purposes) => new()
    {
        ["recipient"] = recipient,
        ["recipientContact"] = recipientContact,
        ["transferDate"] = transferDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["purposes"] = purposes,
    };

    /// <summary>A round of an on-call page: what it is about in each language, and how often it repeats until acknowledged.</summary>
    public static Dictionary<string, string> OnCallPage(Guid pageId, string whatZhCn, string whatEn, int repeatMinutes) => new()
    {
        ["pageId"] = pageId.ToString(),
        [$"what.{Chinese}"] = whatZhCn,
        [$"what.{English}"] = whatEn,
        ["repeatMinutes"] = repeatMinutes.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The parts IWK-2.8 asks an incident notice to carry, plus security advice (INF-3.4), as the incident service names them.</summary>
    public static readonly IReadOnlyList<string> IncidentParts =
        ["what_happened", "possible_impact", "measures_taken", "what_you_can_do", "remedies", "security_advice"];

    /// <summary>
    /// An incident notice as the incident service publishes it: <c>{part}.{language}</c> for zh-CN and en, plus
    /// <c>incident_id</c>. The notification service adds its contact line and maps the names onto the template.
    /// </summary>
    public static Dictionary<string, string> IncidentNotice(Guid incidentId, IReadOnlyList<string> partsZhCn, IReadOnlyList<string> partsEn)
    {
        if (partsZhCn.Count != IncidentParts.Count || partsEn.Count != IncidentParts.Count)
        {
            throw new ArgumentException($"An incident notice has {IncidentParts.Count} parts in each language.");
        }

        var variables = new Dictionary<string, string> { ["incident_id"] = incidentId.ToString() };
        for (var i = 0; i < IncidentParts.Count; i++)
        {
            variables[$"{IncidentParts[i]}.{Chinese}"] = partsZhCn[i];
            variables[$"{IncidentParts[i]}.{English}"] = partsEn[i];
        }

        return variables;
    }

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
