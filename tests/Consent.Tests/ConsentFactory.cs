using PrivacySuite.Testing;

namespace PrivacySuite.Consent.Tests;

public sealed class ConsentFactory() : ServiceFactory<Program>("consentdb")
{
    /// <summary>The subject ids of the events of <paramref name="eventType"/> in the outbox: what was, or will be, published.</summary>
    public async Task<List<string>> OutboxSubjectsAsync(string eventType)
    {
        await using var connection = new Npgsql.NpgsqlConnection(DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select payload->>'subjectId' from outbox_messages where message_type like '%' || $1 || '%'", connection);
        command.Parameters.AddWithValue(eventType);
        await using var reader = await command.ExecuteReaderAsync();
        var subjects = new List<string>();
        while (await reader.ReadAsync())
        {
            subjects.Add(reader.GetString(0));
        }

        return subjects;
    }
}
