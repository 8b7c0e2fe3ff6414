namespace PrivacySuite.Incidents;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Incident {IncidentId}: {Kind}")]
    public static partial void Transition(ILogger logger, Guid incidentId, string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Incident {IncidentId}: regulator report due {DueAt:u}, {Percent}% of the time gone")]
    public static partial void Escalated(ILogger logger, Guid incidentId, DateTimeOffset dueAt, int percent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId}: batch {BatchNumber} of {Count} subjects requested")]
    public static partial void BatchRequested(ILogger logger, Guid campaignId, int batchNumber, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Campaign {CampaignId}: every batch requested, {Subjects} subjects in {Batches} batches")]
    public static partial void CampaignPlanned(ILogger logger, Guid campaignId, long subjects, int batches);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId}: the vault could not be read; retrying")]
    public static partial void VaultFailed(ILogger logger, Exception exception, Guid campaignId);
}
