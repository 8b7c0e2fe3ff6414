namespace PrivacySuite.Incidents.Model;

/// <summary>
/// Who an incident's notices go to, named explicitly: subjects with data of some categories stored or changed in a
/// window (<c>window</c>), subjects named one by one (<c>subjects</c>), everyone with data of some categories whenever
/// stored (<c>category</c>: a leaked backup has no window), or every subject the vault holds (<c>everyone</c>).
/// </summary>
public sealed record AffectedScope(string Kind, IReadOnlyList<string> Categories, DateTimeOffset? From, DateTimeOffset? To, IReadOnlyList<string> SubjectIds)
{
    public const string Window = "window";
    public const string Subjects = "subjects";
    public const string Category = "category";
    public const string Everyone = "everyone";

    /// <summary>The most subjects a list may name; more are a category (or everyone), which the vault resolves itself.</summary>
    public const int MaxSubjects = 10_000;

    public static readonly IReadOnlyList<string> Kinds = [Window, Subjects, Category, Everyone];

    private static readonly HashSet<string> KnownCategories = Enum.GetNames<DataCategory>().Select(n => n.ToLowerInvariant()).ToHashSet();

    /// <summary>
    /// The scope asked for, or null with <paramref name="errors"/> naming each wrong field (under <paramref name="prefix"/>).
    /// Nothing is assumed: the kind is required, each kind takes exactly its own fields, and a field of another kind is refused.
    /// A subject list names each subject once: a repeat is refused (naming the entry), so the list recorded is the list sent.
    /// </summary>
    public static AffectedScope? Create(string? kind, IReadOnlyList<string>? categories, DateTimeOffset? from, DateTimeOffset? to,
        IReadOnlyList<string>? subjectIds, Dictionary<string, string[]> errors, string prefix = "affected.")
    {
        var before = errors.Count;
        if (kind is null || !Kinds.Contains(kind))
        {
            errors[prefix + "kind"] = [$"Required: one of {string.Join(", ", Kinds)}."];
            return null;
        }

        void Refuse(string field, string message) => errors[prefix + field] = [message];
        void NotHere(string field, object? value)
        {
            if (value is not null)
            {
                Refuse(field, $"A '{kind}' scope does not take {field}.");
            }
        }

        var wanted = new List<string>();
        if (kind is Window or Category)
        {
            wanted = (categories ?? []).Select(c => c.ToLowerInvariant()).Distinct().ToList();
            if (wanted.Count == 0)
            {
                Refuse("categories", $"Required: the affected data categories, of {string.Join(", ", KnownCategories)}.");
            }
            else if (wanted.FirstOrDefault(c => !KnownCategories.Contains(c)) is { } unknown)
            {
                Refuse("categories", $"'{Truncate(unknown)}' is not a data category; use {string.Join(", ", KnownCategories)}.");
            }
        }
        else
        {
            NotHere("categories", categories);
        }

        if (kind == Window)
        {
            if (from is null)
            {
                Refuse("from", "Required: the start of the window.");
            }

            if (to is null)
            {
                Refuse("to", "Required: the end of the window.");
            }
            else if (from >= to)
            {
                Refuse("to", "The window must end after it starts.");
            }
        }
        else
        {
            NotHere("from", from);
            NotHere("to", to);
        }

        var named = new List<string>();
        if (kind == Subjects)
        {
            if (subjectIds is not { Count: > 0 and <= MaxSubjects })
            {
                Refuse("subjectIds", $"Required: 1 to {MaxSubjects:N0} subject ids; for more, a category or everyone.");
            }
            else
            {
                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < subjectIds.Count; i++)
                {
                    if (!SubjectId.TryParse(subjectIds[i], out _))
                    {
                        Refuse($"subjectIds[{i}]", "Not a valid subject id.");
                        break;
                    }

                    if (!seen.TryAdd(subjectIds[i], i))
                    {
                        Refuse($"subjectIds[{i}]", $"Repeats subjectIds[{seen[subjectIds[i]]}]; name each subject once.");
                        break;
                    }
                }

                named = [.. subjectIds];
            }
        }
        else
        {
            NotHere("subjectIds", subjectIds);
        }

        return errors.Count > before ? null : new AffectedScope(kind, wanted, kind == Window ? from : null, kind == Window ? to : null, named);
    }

    /// <summary>The scope in words, for the timeline and the regulator report: ids of named subjects never, only their count.</summary>
    public string Describe() => Kind switch
    {
        Window => $"categories {string.Join(",", Categories)}, window {From:u} to {To:u}",
        Category => $"categories {string.Join(",", Categories)} whenever stored (no window)",
        Subjects => $"{SubjectIds.Count:N0} named subjects",
        _ => "every subject the vault holds",
    };

    private static string Truncate(string value) => value.Length <= 32 ? value : value[..32] + "…";
}
