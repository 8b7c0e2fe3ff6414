using PrivacySuite.AppHost.Hosting.Model;

namespace PrivacySuite.AppHost.Hosting.Replication;

/// <summary>
/// Data residency for replicas (INF-2.1, IWK-2.4): personal information collected in China stays in China. A
/// cross-border transfer needs each subject's separate consent and a recorded transfer basis (PIPL Art. 38-39); a
/// replica copies every subject's data at once, so no such consent can cover it and a replica abroad is always refused.
/// Single subjects' exports abroad go through the vault's transfer API, which checks both conditions.
/// </summary>
public static class Residency
{
    public static void EnsureReplicaAllowed(Region source, Region target)
    {
        if (!string.Equals(target.Jurisdiction, source.Jurisdiction, StringComparison.OrdinalIgnoreCase))
        {
            throw new HostingException(
                $"Refused: a replica of {source.Name} ({source.Jurisdiction}) in {target.Name} ({target.Jurisdiction}) would move every subject's " +
                $"personal information out of {source.Jurisdiction} (INF-2.1). PIPL Art. 38-39 require each subject's separate consent and a " +
                "recorded transfer basis, which a whole-cluster replica cannot have. Put the standby region in the same jurisdiction, " +
                "or export single subjects through the vault's transfer API.");
        }
    }
}
