using Npgsql;
using NpgsqlTypes;
using PrivacySuite.Contracts;

namespace PrivacySuite.Retention.Tests;

/// <summary>
/// A large expired inventory written straight to the database with COPY, for the sweeps that are interrupted: each
/// subject has location data collected 100 days ago (its schedule keeps it 90 days and goes by range, so the vault is
/// told the rule and the subjects) and device data unused for 400 days (kept 365 after last use: the vault is told the
/// tokens). Checks that a sweep asked for all of it exactly once, by both kinds of request.
/// </summary>
internal sealed record ExpiredInventory(IReadOnlyList<string> Subjects, IReadOnlyList<string> LocationTokens, IReadOnlyList<string> DeviceTokens)
{
    public int TokenCount => LocationTokens.Count + DeviceTokens.Count;

    public static async Task<ExpiredInventory> SeedAsync(string connectionString, string prefix, int subjects, int tokensPerCategory, DateTimeOffset now)
    {
        var ids = Enumerable.Range(0, subjects).Select(s => $"{prefix}-{s:D5}").ToList();
        var location = new List<string>();
        var device = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var writer = await connection.BeginBinaryImportAsync("copy retention_subjects (subject_id, first_seen_at) from stdin (format binary)"))
        {
            foreach (var id in ids)
            {
                await writer.WriteRowAsync(default, id, now.AddDays(-400));
            }

            await writer.CompleteAsync();
        }

        await using (var writer = await connection.BeginBinaryImportAsync("copy inventory_items (token, subject_id, category, purpose, stored_at) from stdin (format binary)"))
        {
            foreach (var id in ids)
            {
                for (var t = 0; t < tokensPerCategory; t++)
                {
                    location.Add($"{id}-loc-{t}");
                    await writer.WriteRowAsync(default, location[^1], id, nameof(DataCategory.Location), "*", now.AddDays(-100));
                    device.Add($"{id}-dev-{t}");
                    await writer.WriteRowAsync(default, device[^1], id, nameof(DataCategory.Device), "*", now.AddDays(-400));
                }
            }

            await writer.CompleteAsync();
        }

        return new ExpiredInventory(ids, location, device);
    }

    /// <summary>Whether the far sides received a request for everything (a broker redelivery repeats a message id, not a request).</summary>
    public bool AllReceived(params FarSide[] farSides) =>
        ByRange(farSides).Count >= Subjects.Count && ByToken(farSides).Count >= DeviceTokens.Count;

    /// <summary>Every subject named once by a request that named the location schedule, and every device token requested once.</summary>
    public void AssertRequestedOnce(params FarSide[] farSides)
    {
        var named = ByRange(farSides);
        Assert.Equal(named.Count, named.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(Subjects.Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));
        var tokens = ByToken(farSides);
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(DeviceTokens.Order(StringComparer.Ordinal), tokens.Order(StringComparer.Ordinal));
    }

    private static List<string> ByRange(FarSide[] farSides) =>
        [.. farSides.SelectMany(f => f.ExpiredRemovals).DistinctBy(r => r.MessageId).Where(r => r.Message.Category == DataCategory.Location).SelectMany(r => r.Message.SubjectIds)];

    private static List<string> ByToken(FarSide[] farSides) =>
        [.. farSides.SelectMany(f => f.Anonymisations).DistinctBy(r => (r.MessageId, r.Message.SweepItemId, r.Message.SubjectId))
            .Where(r => r.Message.Category == DataCategory.Device).SelectMany(r => r.Message.Tokens)];
}
