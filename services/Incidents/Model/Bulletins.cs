using System.Text.Json;

namespace PrivacySuite.Incidents.Model;

/// <summary>The public bulletin of IWK-2.9: requested at most once per incident, with the campaign's own five-part text.</summary>
public static class Bulletins
{
    public const string OverThreshold = "affected-count-over-threshold";
    public const string Unreachable = "subjects-unreachable";
    public const string OnCallDecision = "on-call-decision";

    /// <summary>Requests the bulletin unless it was requested already; returns why not, or null when it did.</summary>
    public static string? Request(IncidentsDbContext db, NoticeCampaign campaign, string reason, DateTimeOffset now, string actor = "notice-campaign", string? why = null)
    {
        if (campaign.RequestBulletin(reason, now) is { } refusal)
        {
            return refusal;
        }

        var variables = JsonSerializer.Deserialize<Dictionary<string, string>>(campaign.Variables) ?? [];
        db.AddIntegrationEvent(new BulletinRequested(campaign.BulletinId!.Value, NoticeTypes.IncidentNotice, variables, now, campaign.IncidentId, reason), now);
        db.Timeline.Add(new TimelineEntry
        {
            IncidentId = campaign.IncidentId,
            At = now,
            Actor = actor,
            Kind = "bulletin",
            Detail = $"public bulletin {campaign.BulletinId} requested: {reason}{(why is null ? "" : $" ({why})")}",
        });
        return null;
    }
}
