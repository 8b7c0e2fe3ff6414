using System.Security.Cryptography;

namespace PrivacySuite.ServiceDefaults.Data;

/// <summary>
/// Ids derived from a name (RFC 9562 version 8, from SHA-256), so that doing the same thing twice yields the same id
/// and the far side recognises it: a re-sent batch, a page asked for again.
/// </summary>
public static class NameBasedIds
{
    public static Guid From(ReadOnlySpan<byte> name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(name, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8: a name-based id of our own
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
