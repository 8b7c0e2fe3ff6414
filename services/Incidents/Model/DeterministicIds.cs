using System.Security.Cryptography;
using System.Text;

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
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..length], hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // RFC 9562 version 8: a name-based id of our own
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
