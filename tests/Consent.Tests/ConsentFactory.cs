using PrivacySuite.Testing;

namespace PrivacySuite.Consent.Tests;

/// <summary>The consent service on its own database, with <see cref="Vault"/> standing in for the vault's guardian codes.</summary>
public class ConsentFactory() : ServiceFactory<Program>("consentdb")
{
    public VaultGuardianCodes Vault { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Vault = await VaultGuardianCodes.StartAsync();
        Settings["services:vault:http:0"] = Vault.Address.ToString();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Vault is not null)
        {
            await Vault.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Registers an adult guardian and gives back a grant's <c>guardian</c> object whose code verifies them for <paramref name="minorSubjectId"/>.</summary>
    public async Task<GuardianClaim> GuardianForAsync(HttpClient client, string minorSubjectId)
    {
        var guardianId = await client.RegisterAsync(birthDate: Api.BornYearsAgo(40));
        return Vault.Issue(guardianId, minorSubjectId);
    }

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
