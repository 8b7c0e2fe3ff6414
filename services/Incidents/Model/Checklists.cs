namespace PrivacySuite.Incidents.Model;

/// <summary>The containment checklist each incident type starts with: what to do, who owns it, and how soon after triage.</summary>
public static class Checklists
{
    public sealed record Item(string Title, string Owner, TimeSpan DueAfter);

    public static IReadOnlyList<Item> For(IncidentType type) => type switch
    {
        IncidentType.DataLeak =>
        [
            new("Revoke the leaked credentials and keys", "security", TimeSpan.FromMinutes(30)),
            new("Close the access path (firewall rule, bucket policy, API route)", "platform", TimeSpan.FromMinutes(30)),
            new("Preserve logs and evidence for the regulator", "security", TimeSpan.FromHours(1)),
            new("Determine the affected categories and time window", "privacy-officer", TimeSpan.FromHours(2)),
        ],
        IncidentType.Ransomware =>
        [
            new("Isolate affected hosts from the network", "platform", TimeSpan.FromMinutes(15)),
            new("Stop replication to backups until they are verified clean", "platform", TimeSpan.FromMinutes(30)),
            new("Preserve logs and evidence for the regulator", "security", TimeSpan.FromHours(1)),
            new("Check whether personal data was exfiltrated", "privacy-officer", TimeSpan.FromHours(2)),
        ],
        IncidentType.Intrusion =>
        [
            new("Disable the compromised accounts", "security", TimeSpan.FromMinutes(15)),
            new("Rotate secrets the intruder could read", "platform", TimeSpan.FromHours(1)),
            new("Preserve logs and evidence for the regulator", "security", TimeSpan.FromHours(1)),
        ],
        IncidentType.ServiceOutage =>
        [
            new("Fail over or restore the main function", "platform", TimeSpan.FromMinutes(30)),
            new("Record the outage start and end times", "on-call", TimeSpan.FromHours(1)),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
