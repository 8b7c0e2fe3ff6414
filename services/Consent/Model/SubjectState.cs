using System.Collections.Frozen;
using Npgsql;

namespace PrivacySuite.Consent.Model;

/// <summary>
/// A subject and its consents: everything the check needs besides the catalogue. <paramref name="ChangedAt"/> is the
/// latest change among them (registration, a consent, cancellation, erasure): what the answer is "as of".
/// </summary>
public sealed record SubjectState(Subject Subject, FrozenDictionary<string, ConsentRecord> Consents, DateTimeOffset ChangedAt)
{
    /// <summary>The check's answer, stamped with what it is "as of": this state's last change and the catalogue's epoch.</summary>
    public ConsentDecision Decide(Purpose purpose, Policy policy, DateOnly today, long policyEpoch) =>
        ConsentRules.Decide(Subject, purpose, policy, Consents.GetValueOrDefault(purpose.Code), today)
            with { SubjectChangedAt = ChangedAt, PolicyEpoch = policyEpoch };
}

/// <summary>
/// Reads subject states with one round trip each, in plain SQL: this is the check's miss path, and the preload that
/// fills a replica's cache when it starts.
/// </summary>
public sealed class SubjectStateReader(IConfiguration configuration) : IDisposable
{
    private const string Columns = """
        select s.subject_id, s.policy_id, s.birth_date, s.age_band, s.status,
               c.purpose, c.state, c.basis, c.policy_version, c.policy_sequence, c.guardian_id,
               greatest(s.registered_at, s.cancelled_at, s.erased_at), c.changed_at, c.guardian_verification_id, c.sensitive_categories
        from subjects s left join consents c on c.subject_id = s.subject_id
        """;

    private readonly Lazy<NpgsqlDataSource> _source = new(() => NpgsqlDataSource.Create(ConnectionString(configuration)));

    // For the retry only: a new physical connection every time, so the retry never meets another dead pooled one.
    private readonly Lazy<NpgsqlDataSource> _unpooled = new(() => NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(ConnectionString(configuration)) { Pooling = false }.ConnectionString));

    private static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("consentdb") ?? throw new InvalidOperationException("ConnectionStrings__consentdb is not set.");

    /// <remarks>
    /// Tried again once when the database was away for a moment: after the cluster restarted (a standby's restart, a
    /// failover) every pooled connection fails on its first use, and this read, on every product backend's hot path, is
    /// safe to repeat. The pool is dropped (its connections died together) and the retry runs on a connection of its
    /// own: taken from the pool, it could meet another dead one still on its way back (seen as one 503 in ten checks
    /// right after pg_terminate_backend, with three pooled tries).
    /// </remarks>
    public async Task<SubjectState?> ReadAsync(string subjectId, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadOnceAsync(_source.Value, subjectId, cancellationToken);
        }
        catch (NpgsqlException e) when (PrivacySuite.ServiceDefaults.Data.DatabaseFailures.IsTransient(e))
        {
            _source.Value.Clear();
            return await ReadOnceAsync(_unpooled.Value, subjectId, cancellationToken);
        }
    }

    private static async Task<SubjectState?> ReadOnceAsync(NpgsqlDataSource source, string subjectId, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand(Columns + " where s.subject_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = subjectId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        SubjectState? state = null;
        await foreach (var read in ReadStatesAsync(reader, cancellationToken))
        {
            state = read;
        }

        return state;
    }

    /// <summary>Streams up to <paramref name="limit"/> subjects' states, in subject order.</summary>
    public async IAsyncEnumerable<SubjectState> ReadAllAsync(int limit, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await _source.Value.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            Columns.Replace("from subjects s", $"from (select * from subjects order by subject_id limit {limit}) s", StringComparison.Ordinal)
            + " order by s.subject_id", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await foreach (var state in ReadStatesAsync(reader, cancellationToken))
        {
            yield return state;
        }
    }

    private static async IAsyncEnumerable<SubjectState> ReadStatesAsync(NpgsqlDataReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Subject? subject = null;
        var changedAt = default(DateTimeOffset);
        var consents = new Dictionary<string, ConsentRecord>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            if (subject is not null && subject.SubjectId != id)
            {
                yield return new SubjectState(subject, consents.ToFrozenDictionary(StringComparer.Ordinal), changedAt);
                consents.Clear();
                subject = null;
            }

            if (subject is null)
            {
                subject = new Subject
                {
                    SubjectId = id,
                    PolicyId = reader.GetString(1),
                    BirthDate = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateOnly>(2),
                    AgeBand = reader.IsDBNull(3) ? null : reader.GetString(3),
                    Status = reader.GetString(4),
                };
                changedAt = reader.GetFieldValue<DateTimeOffset>(11);
            }

            if (!reader.IsDBNull(5))
            {
                var consentChangedAt = reader.GetFieldValue<DateTimeOffset>(12);
                changedAt = consentChangedAt > changedAt ? consentChangedAt : changedAt;
                consents[reader.GetString(5)] = new ConsentRecord
                {
                    SubjectId = id,
                    Purpose = reader.GetString(5),
                    State = reader.GetString(6),
                    Basis = reader.GetString(7),
                    PolicyVersion = reader.GetString(8),
                    PolicySequence = reader.GetInt64(9),
                    GuardianId = reader.IsDBNull(10) ? null : reader.GetString(10),
                    GuardianVerificationId = reader.IsDBNull(13) ? null : reader.GetGuid(13),
                    SensitiveCategories = [.. reader.GetFieldValue<string[]>(14)],
                };
            }
        }

        if (subject is not null)
        {
            yield return new SubjectState(subject, consents.ToFrozenDictionary(StringComparer.Ordinal), changedAt);
        }
    }

    public void Dispose()
    {
        if (_source.IsValueCreated)
        {
            _source.Value.Dispose();
        }

        if (_unpooled.IsValueCreated)
        {
            _unpooled.Value.Dispose();
        }
    }
}
