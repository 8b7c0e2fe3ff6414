using Npgsql;

namespace PrivacySuite.Testing;

/// <summary>The row count of every table of a service's database (its outbox and inbox included): what "nothing was written" is checked against.</summary>
public static class DatabaseSnapshot
{
    public static async Task<SortedDictionary<string, long>> RowCountsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (qualified, _) in await TablesAsync(connection))
        {
            await using var count = new NpgsqlCommand($"select count(*) from {qualified}", connection);
            counts[qualified] = (long)(await count.ExecuteScalarAsync())!;
        }

        return counts;
    }

    /// <summary>Every row of every table, as PostgreSQL prints it, by table name: where a secret or personal data must not be found.</summary>
    public static async Task<Dictionary<string, string>> TablesAsTextAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (qualified, name) in await TablesAsync(connection))
        {
            await using var rows = new NpgsqlCommand($"select coalesce(string_agg(t::text, E'\\n'), '') from {qualified} t", connection);
            text[name] = (string)(await rows.ExecuteScalarAsync())!;
        }

        return text;
    }

    private static async Task<List<(string Qualified, string Name)>> TablesAsync(NpgsqlConnection connection)
    {
        var tables = new List<(string, string)>();
        await using var list = new NpgsqlCommand(
            "select quote_ident(table_schema) || '.' || quote_ident(table_name), table_name from information_schema.tables " +
            "where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1", connection);
        await using var reader = await list.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tables.Add((reader.GetString(0), reader.GetString(1)));
        }

        return tables;
    }

    /// <summary>"table: before -> after" for each table whose count changed.</summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after) =>
        before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Where(t => before.GetValueOrDefault(t) != after.GetValueOrDefault(t))
            .Select(t => $"{t}: {before.GetValueOrDefault(t)} -> {after.GetValueOrDefault(t)}")
            .ToList();
}
