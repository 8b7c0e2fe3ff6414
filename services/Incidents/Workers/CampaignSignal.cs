using PrivacySuite.ServiceDefaults.Workers;

namespace PrivacySuite.Incidents.Workers;

/// <summary>Wakes the campaign planner when a campaign starts, so the first batch does not wait for the next interval.</summary>
public sealed class CampaignSignal : WakeUpSignal;
