using System.Text;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.Incidents.Model;

/// <summary>Ids derived from their parent, so that doing the same thing twice yields the same id and the far side recognises it.</summary>
public static class DeterministicIds
{
    public static Guid Campaign(Guid incidentId) => Derive(incidentId, "campaign");

    public static Guid Batch(Guid campaignId, int batchNumber) => Derive(campaignId, $"batch:{batchNumber}");

    public static Guid Bulletin(Guid incidentId) => Derive(incidentId, "bulletin");

    private static Guid Derive(Guid parent, string name)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(name.Length)];
        parent.TryWriteBytes(input, bigEndian: true, out _);
        var length = 16 + Encoding.UTF8.GetBytes(name, input[16..]);
        return NameBasedIds.From(input[..length]);
    }
}
