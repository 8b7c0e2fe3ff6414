using Npgsql;

namespace PrivacySuite.Vault.Model;

/// <summary>
/// What a read decides on: the values, their subjects, and the fresh consent decisions kept for the purpose (the subjects'
/// and their guardians'; a subject missing from <see cref="Decisions"/> is asked through the consent gate). Fresh: kept
/// after <c>freshSince</c> and under the current policy epoch (see <see cref="ConsentGate"/>).
/// </summary>
public sealed record ReadFacts(List<PersonalValue> Rows, Dictionary<string, Subject> Subjects, Dictionary<string, ConsentAnswer> Decisions)
{
    // One statement: the consent decisions come as correlated look-ups on their primary key (the subject's as a lateral
    // subquery, for its separate consents beside its answer), so each costs one index probe whatever the planner thinks
    // of the table's size (a plain join let it scan the whole table per read).
    private const string Columns =
        """
        select v.token, v.subject_id, v.category, v.field, v.source, v.legal_basis, v.version, v.key_generation, v.nonce, v.ciphertext,
               v.lookup_token, v.stored_at, v.updated_at,
               s.wrapped_key, s.kek_version, s.subject_key, s.key_generation, s.nonces_used, s.is_minor, s.guardian_subject_id, s.created_at, s.erased_at,
               d.allowed,
               (select g.allowed from consent_decisions g where g.subject_id = s.guardian_subject_id and g.purpose = $2
                  and g.decided_at > $3 and g.policy_epoch >= (select e.epoch from consent_epoch e)),
               v.basis_purposes, d.sensitive_categories
        from personal_values v join subjects s on s.subject_id = v.subject_id
        left join lateral (select d.allowed, d.sensitive_categories from consent_decisions d where d.subject_id = s.subject_id and d.purpose = $2
                             and d.decided_at > $3 and d.policy_epoch >= (select e.epoch from consent_epoch e)) d on true
        """;

    // Most reads name one token. With "= $1" PostgreSQL keeps one generic plan for the prepared statement; with
    // "= any($1)" it plans every execution again (its generic estimate assumes a larger array), which cost a third
    // of its CPU per read.
    private const string OneSql = Columns + "\nwhere v.token = $1";
    private const string ManySql = Columns + "\nwhere v.token = any($1)";

    /// <summary>
    /// Everything a detokenise decides on, in one round trip of one prepared statement: the read path is the vault's
    /// hottest, and three EF Core queries cost it more CPU (query pipeline, parse and plan) than the rest of the read.
    /// </summary>
    public static async Task<ReadFacts> LoadAsync(VaultDbContext db, string[] tokens, string purpose, DateTimeOffset freshSince, CancellationToken ct)
    {
        var rows = new List<PersonalValue>(tokens.Length);
        var subjects = new Dictionary<string, Subject>(StringComparer.Ordinal);
        var decisions = new Dictionary<string, ConsentAnswer>(StringComparer.Ordinal);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand(tokens.Length == 1 ? OneSql : ManySql, (NpgsqlConnection)db.Database.GetDbConnection())
            {
                Parameters =
                {
                    tokens.Length == 1 ? new NpgsqlParameter<string> { TypedValue = tokens[0] } : new NpgsqlParameter<string[]> { TypedValue = tokens },
                    new NpgsqlParameter<string> { TypedValue = purpose },
                    new NpgsqlParameter<DateTimeOffset> { TypedValue = freshSince },
                },
            };
            await command.PrepareAsync(ct);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var subjectId = reader.GetString(1);
                rows.Add(new PersonalValue
                {
                    Token = reader.GetString(0),
                    SubjectId = subjectId,
                    Category = reader.GetString(2),
                    Field = reader.GetString(3),
                    Source = reader.GetString(4),
                    LegalBasis = reader.GetString(5),
                    Version = reader.GetInt32(6),
                    KeyGeneration = reader.GetInt32(7),
                    Nonce = reader.GetFieldValue<byte[]>(8),
                    Ciphertext = reader.GetFieldValue<byte[]>(9),
                    LookupToken = reader.IsDBNull(10) ? null : reader.GetString(10),
                    StoredAt = reader.GetFieldValue<DateTimeOffset>(11),
                    UpdatedAt = reader.GetFieldValue<DateTimeOffset>(12),
                    BasisPurposes = reader.GetFieldValue<string[]>(24),
                });
                if (subjects.ContainsKey(subjectId))
                {
                    continue;
                }

                var subject = new Subject
                {
                    SubjectId = subjectId,
                    WrappedKey = reader.IsDBNull(13) ? null : reader.GetFieldValue<byte[]>(13),
                    KekVersion = reader.GetInt32(14),
                    SubjectKey = reader.GetBoolean(15),
                    KeyGeneration = reader.GetInt32(16),
                    NoncesUsed = reader.GetInt64(17),
                    IsMinor = reader.GetBoolean(18),
                    GuardianSubjectId = reader.IsDBNull(19) ? null : reader.GetString(19),
                    CreatedAt = reader.GetFieldValue<DateTimeOffset>(20),
                    ErasedAt = reader.IsDBNull(21) ? null : reader.GetFieldValue<DateTimeOffset>(21),
                };
                subjects[subjectId] = subject;
                if (!reader.IsDBNull(22))
                {
                    decisions[subjectId] = ConsentAnswer.Kept(reader.GetBoolean(22), reader.GetFieldValue<string[]>(25));
                }

                if (subject.GuardianSubjectId is { } guardian && !reader.IsDBNull(23))
                {
                    // The guardian's own consent to the purpose counts, not its separate consents (those are the minor's own).
                    decisions.TryAdd(guardian, ConsentAnswer.Kept(reader.GetBoolean(23), []));
                }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return new ReadFacts(rows, subjects, decisions);
    }
}
