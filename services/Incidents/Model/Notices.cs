using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Incidents.Model;

/// <summary>The five parts IWK-2.8 asks a notice to carry, plus security advice (INF-3.4), in one language.</summary>
public sealed record NoticeText(
    [property: Required, StringLength(2000, MinimumLength = 1)] string WhatHappened,
    [property: Required, StringLength(2000, MinimumLength = 1)] string PossibleImpact,
    [property: Required, StringLength(2000, MinimumLength = 1)] string MeasuresTaken,
    [property: Required, StringLength(2000, MinimumLength = 1)] string WhatYouCanDo,
    [property: Required, StringLength(2000, MinimumLength = 1)] string Remedies,
    [property: Required, StringLength(2000, MinimumLength = 1)] string SecurityAdvice);

public static class NoticeTemplates
{
    public const string IncidentNotice = "incident.notice";
    public const string IncidentBulletin = "incident.bulletin";

    public static readonly IReadOnlyList<string> Parts =
        ["what_happened", "possible_impact", "measures_taken", "what_you_can_do", "remedies", "security_advice"];

    /// <summary>Template variables: <c>{part}.{language}</c> for zh-CN and en, plus the incident id.</summary>
    public static Dictionary<string, string> Variables(Guid incidentId, NoticeText zhCn, NoticeText en)
    {
        var variables = new Dictionary<string, string> { ["incident_id"] = incidentId.ToString() };
        foreach (var (language, text) in new[] { ("zh-CN", zhCn), ("en", en) })
        {
            string[] values = [text.WhatHappened, text.PossibleImpact, text.MeasuresTaken, text.WhatYouCanDo, text.Remedies, text.SecurityAdvice];
            for (var i = 0; i < Parts.Count; i++)
            {
                variables[$"{Parts[i]}.{language}"] = values[i];
            }
        }

        return variables;
    }
}
