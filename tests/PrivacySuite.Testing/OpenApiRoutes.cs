using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PrivacySuite.Testing;

/// <summary>A route as the service's own OpenAPI document describes it.</summary>
public sealed record OpenApiOperation(
    string Method,
    string Path,
    string? OperationId,
    IReadOnlyList<OpenApiParameter> Parameters,
    JsonObject? BodySchema,
    bool BodyRequired)
{
    public override string ToString() => $"{Method} {Path}";
}

public sealed record OpenApiParameter(string Name, string In, bool Required, JsonObject Schema, string? Example = null);

/// <summary>Reads /openapi/v1.json: operations, their parameters and body schemas, with <c>$ref</c>s resolved on demand.</summary>
public sealed class OpenApiRoutes(JsonObject document)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    public static async Task<OpenApiRoutes> FetchAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/openapi/v1.json");
        return new OpenApiRoutes(JsonNode.Parse(text)!.AsObject());
    }

    public IReadOnlyList<OpenApiOperation> Operations()
    {
        var operations = new List<OpenApiOperation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            var shared = item!["parameters"] as JsonArray;
            foreach (var method in Methods)
            {
                if (item[method] is not JsonObject operation)
                {
                    continue;
                }

                var parameters = (shared ?? []).Concat(operation["parameters"] as JsonArray ?? [])
                    .Select(p => Resolve(p!.AsObject()))
                    .Select(p => new OpenApiParameter(
                        p["name"]!.GetValue<string>(), p["in"]!.GetValue<string>(), p["required"]?.GetValue<bool>() ?? false,
                        p["schema"] is JsonObject s ? Resolve(s) : new JsonObject(), p["example"]?.ToString()))
                    .ToList();
                var body = operation["requestBody"] is JsonObject requestBody ? Resolve(requestBody) : null;
                var bodySchema = body?["content"]?["application/json"]?["schema"] is JsonObject schema ? Resolve(schema) : null;
                operations.Add(new OpenApiOperation(method.ToUpperInvariant(), path, operation["operationId"]?.GetValue<string>(), parameters,
                    bodySchema, body?["required"]?.GetValue<bool>() ?? false));
            }
        }

        return operations;
    }

    /// <summary>The schema a <c>$ref</c> points at (recursively), else the schema itself.</summary>
    public JsonObject Resolve(JsonObject schema)
    {
        for (var depth = 0; schema["$ref"] is JsonValue reference && depth < 20; depth++)
        {
            var node = (JsonNode)document;
            foreach (var part in reference.GetValue<string>().TrimStart('#', '/').Split('/'))
            {
                node = node[part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)]!;
            }

            schema = node.AsObject();
        }

        return schema;
    }

    /// <summary>The schema without its null alternative (<c>type: [x, "null"]</c>, <c>oneOf</c>/<c>anyOf</c> with a null branch, <c>allOf</c> of one).</summary>
    public JsonObject NonNull(JsonObject schema)
    {
        schema = Resolve(schema);
        foreach (var combiner in new[] { "oneOf", "anyOf", "allOf" })
        {
            if (schema[combiner] is JsonArray options)
            {
                var branch = options.Select(o => Resolve(o!.AsObject())).FirstOrDefault(o => !IsNullOnly(o));
                if (branch is not null)
                {
                    return NonNull(branch);
                }
            }
        }

        return schema;
    }

    public bool AllowsNull(JsonObject schema)
    {
        schema = Resolve(schema);
        if (schema["nullable"]?.GetValue<bool>() == true || Types(schema).Contains("null")
            || schema["enum"] is JsonArray values && values.Any(v => v is null))
        {
            return true;
        }

        return new[] { "oneOf", "anyOf" }.Any(c => schema[c] is JsonArray options && options.Any(o => IsNullOnly(Resolve(o!.AsObject())) || AllowsNull(o!.AsObject())));
    }

    public static IReadOnlyList<string> Types(JsonObject schema) => schema["type"] switch
    {
        JsonValue one => [one.GetValue<string>()],
        JsonArray many => many.Select(t => t!.GetValue<string>()).ToList(),
        _ => [],
    };

    /// <summary>The main type of a schema that allows null besides it (or a guess from its shape when it names none).</summary>
    public string TypeOf(JsonObject schema)
    {
        schema = NonNull(schema);
        var type = Types(schema).FirstOrDefault(t => t != "null");
        return type ?? (schema["properties"] is not null || schema["additionalProperties"] is not null ? "object"
            : schema["items"] is not null ? "array"
            : schema["enum"] is not null ? "string" : "any");
    }

    private static bool IsNullOnly(JsonObject schema) => Types(schema) is ["null"];

    /// <summary><c>/v1/things/{id:guid}</c> as OpenAPI writes it: <c>/v1/things/{id}</c>.</summary>
    public static string NormalizeTemplate(string template) =>
        "/" + Regex.Replace(template.Trim('/'), @"\{\*{0,2}([^}:=?]+)[^}]*\}", "{$1}");
}
