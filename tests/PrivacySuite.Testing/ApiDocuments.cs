using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivacySuite.Testing;

/// <summary>
/// The committed OpenAPI documents, <c>docs/api/{service}.json</c> (issue 20.4): what a product team reads without
/// running the suite. A test compares each with the live document; <c>./eng/api-docs.sh</c> writes them again.
/// </summary>
public static class ApiDocuments
{
    /// <summary>Set to 1 to write the live documents over the committed ones instead of comparing (<c>./eng/api-docs.sh</c>).</summary>
    public const string UpdateVariable = "PRIVACYSUITE_UPDATE_API_DOCS";

    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        // Chinese examples stay readable in the file.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string PathFor(string service) => Path.Combine(RoleTable.RepositoryRoot(), "docs", "api", $"{service}.json");

    /// <summary>
    /// The document without what depends on where it was served from (<c>servers</c>: the test server's address). Object
    /// order is the generator's, which follows the order routes are mapped in; the comparison ignores it.
    /// </summary>
    public static JsonObject Normalize(string json)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        document.Remove("servers");
        return document;
    }

    public static string Write(JsonObject document) => document.ToJsonString(Pretty) + "\n";

    /// <summary>The JSON path of the first place where the two documents differ, for the failure message.</summary>
    public static string FirstDifference(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var name in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!e.ContainsKey(name) || !a.ContainsKey(name))
                    {
                        return $"{path}.{name} ({(e.ContainsKey(name) ? "only in the committed file" : "only in the live document")})";
                    }

                    if (!JsonNode.DeepEquals(e[name], a[name]))
                    {
                        return FirstDifference(e[name], a[name], $"{path}.{name}");
                    }
                }

                return path;
            case (JsonArray e, JsonArray a) when e.Count == a.Count:
                for (var i = 0; i < e.Count; i++)
                {
                    if (!JsonNode.DeepEquals(e[i], a[i]))
                    {
                        return FirstDifference(e[i], a[i], $"{path}[{i}]");
                    }
                }

                return path;
            default:
                return $"{path}: committed {Shorten(expected)}, live {Shorten(actual)}";
        }
    }

    private static string Shorten(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "nothing";
        return text.Length > 120 ? text[..120] + "…" : text;
    }
}
