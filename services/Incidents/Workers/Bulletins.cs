using System.Text.Json;

namespace PrivacySuite.Incidents.Workers;

/// <summary>The public bulletin of IWK-2.9: requested at most once per incident, with the campaign's own five-part text.</summary>
public static class Bulletins
{
    public const string OverThreshold = "affected-count-over-threshold";
    public const string Unreachable = "subjects-unreachable";

    /// <summary>Requests the bulletin unless it was requested already; returns whether it did.</summary>
    public static bool Request(IncidentsDbContext db, NoticeCampaign campaign, string reason, DateTimeOffset now)
    {
        if (campaign.BulletinId is not null)
        {
            return false;
        }

        campaign.BulletinId = DeterministicIds.Bulletin(campaign.IncidentId);
        campaign.BulletinReason = reason;
        campaign.BulletinRequestedAt = now;
        var variables = JsonSerializer.Deserialize<Dictionary<string, string>>(campaign.Variables) ?? [];
        db.AddIntegrationEvent(new BulletinRequested(campaign.BulletinId.Value, NoticeTypes.IncidentNotice, variables, now, campaign.IncidentId, reason), now);
        db.Timeline.Add(new TimelineEntry
        {
            IncidentId = campaign.IncidentId,
            At = now,
            Actor = "notice-campaign",
            Kind = "bulletin",
            Detail = $"public bulletin {campaign.BulletinId} requested: {reason}",
        });
        return true;
    }
}
