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

/// <summary>The incident notice's variables, built by the contract the notification service's template is tested against.</summary>
public static class IncidentNoticeVariables
{
    public static Dictionary<string, string> For(Guid incidentId, NoticeText zhCn, NoticeText en) =>
        NoticeVariables.IncidentNotice(incidentId, Parts(zhCn), Parts(en));

    private static string[] Parts(NoticeText t) => [t.WhatHappened, t.PossibleImpact, t.MeasuresTaken, t.WhatYouCanDo, t.Remedies, t.SecurityAdvice];
}
