using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Input;
using Xunit;

namespace PrivacySuite.Testing;

/// <summary>
/// Issue 18, item 9, for every route of a service, generated from the service's own OpenAPI document: malformed and
/// hostile input (missing required fields, nulls, NUL and control characters, enums as numbers, wrong types, unknown
/// and duplicate fields, invalid UTF-8, bodies over the route's limit, control characters in the path and query) gets a
/// 4xx answer in problem details, and no table of the service's database (outbox included) gains or loses a row.
/// The caller holds every role, so that authorization never stands between an attack and the route's own checks.
/// </summary>
public abstract class HostileInputTests<TProgram>(ServiceFactory<TProgram> factory)
    where TProgram : class
{
    private const string SubjectId = "hostile-subject-1";

    /// <summary>
    /// Tables a service writes on its own, whatever requests arrive: by default only the outbox relay's record of the
    /// database timeline, written once soon after start.
    /// </summary>
    protected virtual IReadOnlyCollection<string> TablesWrittenInBackground => ["public.outbox_timelines"];

    [Fact]
    [Trait("Issue", "18")]
    public async Task Malformed_and_hostile_input_on_every_route_gets_4xx_problem_details_and_writes_nothing()
    {
        // Every person's role, and the service's own token for the routes only services may call: each attack must
        // reach the route's validation, not stop at authentication.
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", factory.Credentials.IssueToken(SubjectId, SuiteRoles.All));
        using var service = factory.CreateClientFor(SuiteRoles.Service, "hostile-input");
        var routes = await OpenApiRoutes.FetchAsync(client);
        var limits = BodyLimits();
        var cases = routes.Operations().SelectMany(o => Cases(routes, o, limits)).ToList();
        Assert.NotEmpty(cases);

        var before = await CountsAsync();
        var failures = new List<string>();
        foreach (var attack in cases)
        {
            var response = await SendAsync(client, attack);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                response.Dispose();
                response = await SendAsync(service, attack);
            }

            using var _ = response;
            var status = (int)response.StatusCode;
            if (status == 401)
            {
                failures.Add($"{attack.Operation} [{attack.Name}]: 401, the attack never reached the route");
                continue;
            }

            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status is < 400 or >= 500 || mediaType != "application/problem+json")
            {
                var text = await response.Content.ReadAsStringAsync();
                failures.Add($"{attack.Operation} [{attack.Name}]: {status} {mediaType} {text[..Math.Min(text.Length, 300)]}");
            }
        }

        var after = await CountsAsync();
        var written = DatabaseSnapshot.Differences(before, after);
        Assert.True(failures.Count == 0 && written.Count == 0,
            $"{failures.Count} of {cases.Count} hostile requests were not refused with 4xx problem details:\n  " + string.Join("\n  ", failures)
            + (written.Count == 0 ? "" : "\nRows changed:\n  " + string.Join("\n  ", written)));
    }

    [Fact]
    [Trait("Issue", "19")]
    public async Task A_subject_id_that_breaks_the_rule_is_refused_on_every_route_with_the_one_message()
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", factory.Credentials.IssueToken(SubjectId, SuiteRoles.All));
        using var service = factory.CreateClientFor(SuiteRoles.Service, "hostile-input");
        var routes = await OpenApiRoutes.FetchAsync(client);
        var failures = new List<string>();
        var tried = 0;
        foreach (var operation in routes.Operations().Where(o => o.Path.Contains("{subjectId}", StringComparison.Ordinal)))
        {
            foreach (var bad in new[] { "li.lei@example.cn", new string('a', PrivacySuite.Contracts.SubjectId.MaxLength + 1) })
            {
                tried++;
                var attack = Cases(routes, operation, new Dictionary<string, long>()).First(c => c.Name.StartsWith("path subjectId", StringComparison.Ordinal));
                HttpRequestMessage Build()
                {
                    var request = attack.Build();
                    request.RequestUri = new Uri(request.RequestUri!.OriginalString.Replace("a%07b", Uri.EscapeDataString(bad), StringComparison.Ordinal), UriKind.Relative);
                    return request;
                }

                var response = await SendAsync(client, attack with { Build = Build });
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    response.Dispose();
                    response = await SendAsync(service, attack with { Build = Build });
                }

                using var _ = response;
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.BadRequest || !body.Contains(JsonSerializer.Serialize(SubjectIdRule.Message)[1..^1], StringComparison.Ordinal))
                {
                    failures.Add($"{operation} with '{bad[..Math.Min(bad.Length, 20)]}': {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {tried} requests were not refused with the subject-id rule's message:\n  " + string.Join("\n  ", failures));
    }

    private async Task<SortedDictionary<string, long>> CountsAsync()
    {
        var counts = await DatabaseSnapshot.RowCountsAsync(factory.DatabaseConnectionString);
        foreach (var table in TablesWrittenInBackground)
        {
            counts.Remove(table);
        }

        return counts;
    }

    /// <summary>Each route's body limit, from the endpoint metadata the service runs with.</summary>
    private Dictionary<string, long> BodyLimits()
    {
        var limits = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            foreach (var method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                limits[$"{method} {OpenApiRoutes.NormalizeTemplate(endpoint.RoutePattern.RawText ?? "")}"] = RequestGuard.MaxBodyBytes(endpoint);
            }
        }

        return limits;
    }

    private sealed record Attack(OpenApiOperation Operation, string Name, Func<HttpRequestMessage> Build);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, Attack attack)
    {
        using var request = attack.Build();
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"hostile-{Guid.NewGuid():N}");
        return await client.SendAsync(request);
    }

    private static IEnumerable<Attack> Cases(OpenApiRoutes routes, OpenApiOperation operation, Dictionary<string, long> limits)
    {
        var pathValues = operation.Parameters.Where(p => p.In == "path")
            .ToDictionary(p => p.Name, p => Scalar(routes, p.Schema, p.Name));
        var queryValues = operation.Parameters.Where(p => p.In == "query" && p.Required)
            .ToDictionary(p => p.Name, p => Scalar(routes, p.Schema, p.Name));

        string Url(IReadOnlyDictionary<string, string> path, IReadOnlyDictionary<string, string> query)
        {
            var url = Regex.Replace(operation.Path, @"\{([^}]+)\}", m => Uri.EscapeDataString(path[m.Groups[1].Value]));
            return query.Count == 0 ? url : url + "?" + string.Join("&", query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}"));
        }

        JsonNode? baseline = operation.BodySchema is { } bodySchema ? Sample(routes, bodySchema, 0) : null;
        var method = new HttpMethod(operation.Method);
        HttpRequestMessage Request(string url, HttpContent? content) => new(method, url) { Content = content };
        HttpContent Json(string text) => new StringContent(text, Encoding.UTF8, "application/json");
        HttpContent Bytes(byte[] bytes)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            return content;
        }

        var validUrl = Url(pathValues, queryValues);
        var baselineText = baseline?.ToJsonString() ?? "";

        // The address: a control character in each path and query value (Kestrel itself refuses %00 in a path).
        foreach (var name in pathValues.Keys)
        {
            foreach (var (label, value) in new[] { ("BEL", "a\u0007b"), ("newline", "a\nb"), ("DEL", "a\u007fb") })
            {
                var path = new Dictionary<string, string>(pathValues) { [name] = value };
                yield return new(operation, $"path {name} with {label}",
                    () => Request(Url(path, queryValues), baseline is null ? null : Json(baselineText)));
            }
        }

        foreach (var parameter in operation.Parameters.Where(p => p.In == "query"))
        {
            var query = new Dictionary<string, string>(queryValues) { [parameter.Name] = "a\0b" };
            yield return new(operation, $"query {parameter.Name} with NUL",
                () => Request(Url(pathValues, query), baseline is null ? null : Json(baselineText)));
            if (routes.TypeOf(parameter.Schema) is "integer" or "number" or "boolean")
            {
                var wrong = new Dictionary<string, string>(queryValues) { [parameter.Name] = "not-a-number" };
                yield return new(operation, $"query {parameter.Name} of the wrong type",
                    () => Request(Url(pathValues, wrong), baseline is null ? null : Json(baselineText)));
            }
        }

        if (baseline is null)
        {
            yield break;
        }

        // The body as a whole.
        yield return new(operation, "body not JSON", () => Request(validUrl, Json("{\"a\":")));
        yield return new(operation, "body null", () => Request(validUrl, Json("null")));
        yield return new(operation, "body empty", () => Request(validUrl, Json("")));
        yield return new(operation, "body of the wrong JSON type", () => Request(validUrl, Json(baseline is JsonObject ? "[]" : "{}")));
        yield return new(operation, "body not declared as JSON", () => Request(validUrl, new StringContent(baselineText, Encoding.UTF8, "text/plain")));
        if (baseline is JsonObject)
        {
            yield return new(operation, "unknown field", () => Request(validUrl, Json(baselineText[..^1] + (baselineText.Length > 2 ? "," : "") + "\"zzUnknownField\":true}")));
        }

        var limit = limits.GetValueOrDefault($"{operation.Method} {operation.Path}", RequestGuard.DefaultMaxBodyBytes);
        yield return new(operation, $"body of {limit + 1} bytes, over the route's limit",
            () => Request(validUrl, Bytes(Encoding.UTF8.GetBytes(baselineText + new string(' ', (int)Math.Max(0, limit + 1 - Encoding.UTF8.GetByteCount(baselineText)))))));

        // Invalid UTF-8 where a string goes (or as a field name when the body has no string).
        const string marker = "INVALIDUTF8MARKER";
        var marked = Mutations(routes, operation.BodySchema!, baseline, "$").FirstOrDefault(m => m.Name.EndsWith(" with BEL", StringComparison.Ordinal))?.Body;
        var markedText = marked is null
            ? "{\"" + marker + "\":1}"
            : Regex.Replace(marked.ToJsonString(), @"\\u0007", marker);
        var markerIndex = markedText.IndexOf(marker, StringComparison.Ordinal);
        if (markerIndex >= 0)
        {
            var bytes = Encoding.UTF8.GetBytes(markedText[..markerIndex]).Concat(new byte[] { 0x61, 0xC3, 0x28, 0xFF, 0xFE })
                .Concat(Encoding.UTF8.GetBytes(markedText[(markerIndex + marker.Length)..])).ToArray();
            yield return new(operation, "invalid UTF-8 in a string", () => Request(validUrl, Bytes(bytes)));
            var surrogate = markedText.Replace(marker, "\\ud800", StringComparison.Ordinal);
            yield return new(operation, "an unpaired surrogate in a string", () => Request(validUrl, Json(surrogate)));
        }

        // Each field: missing, null, of the wrong type, with control characters, enums as numbers, arrays with null.
        foreach (var mutation in Mutations(routes, operation.BodySchema!, baseline, "$"))
        {
            var text = mutation.Raw ?? mutation.Body?.ToJsonString() ?? "null";
            yield return new(operation, mutation.Name, () => Request(validUrl, Json(text)));
        }
    }

    private sealed record Mutation(string Name, JsonNode? Body, string? Raw = null);

    /// <summary>Every single-point corruption of <paramref name="value"/> that its schema forbids, at any depth (up to four).</summary>
    private static IEnumerable<Mutation> Mutations(OpenApiRoutes routes, JsonObject schema, JsonNode? value, string at, int depth = 0)
    {
        if (depth > 4)
        {
            yield break;
        }

        var type = routes.TypeOf(schema);
        var plain = routes.NonNull(schema);
        value ??= Sample(routes, schema, depth); // an optional field left null is attacked with a value of its own
        if (!routes.AllowsNull(schema))
        {
            yield return new($"{at} null", null);
        }

        switch (type)
        {
            case "string":
                yield return new($"{at} a number instead of text", JsonValue.Create(1));
                if (plain["enum"] is JsonArray)
                {
                    yield return new($"{at} enum as its number", JsonValue.Create(0));
                    yield return new($"{at} enum as its number in a string", JsonValue.Create("1"));
                    yield return new($"{at} enum not one of the names", JsonValue.Create("NoSuchValue"));
                }
                else
                {
                    var text = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : "text";
                    yield return new($"{at} with NUL", JsonValue.Create(text + "\0"));
                    yield return new($"{at} with BEL", JsonValue.Create(text + "\u0007"));
                    if (plain["format"] is not null || plain["pattern"] is not null || plain["minLength"]?.GetValue<int>() > 0)
                    {
                        yield return new($"{at} empty", JsonValue.Create(""));
                    }
                }

                break;
            case "integer" or "number":
                yield return new($"{at} a number in a string", JsonValue.Create("1"));
                yield return new($"{at} text instead of a number", JsonValue.Create("many"));
                if (type == "integer")
                {
                    yield return new($"{at} a fraction for an integer", JsonValue.Create(1.5));
                    yield return new($"{at} an integer out of range", JsonNode.Parse("1e300"));
                }

                break;
            case "boolean":
                yield return new($"{at} a boolean in a string", JsonValue.Create("true"));
                yield return new($"{at} a number for a boolean", JsonValue.Create(1));
                break;
            case "array":
                yield return new($"{at} an object instead of a list", new JsonObject());
                if (plain["items"] is JsonObject items && value is JsonArray list && list.Count > 0)
                {
                    if (!routes.AllowsNull(items))
                    {
                        yield return new($"{at}[0] null", new JsonArray(null, list[0]!.DeepClone()));
                    }

                    foreach (var inner in Mutations(routes, items, list[0], $"{at}[0]", depth + 1).Where(m => m.Raw is null && !m.Name.EndsWith(" null", StringComparison.Ordinal)))
                    {
                        var copy = list.DeepClone().AsArray();
                        copy[0] = inner.Body?.DeepClone();
                        yield return new(inner.Name, copy);
                    }
                }

                break;
            case "object":
                yield return new($"{at} a list instead of an object", new JsonArray());
                if (plain["additionalProperties"] is JsonObject valueSchema && plain["properties"] is null)
                {
                    yield return new($"{at} key with NUL", new JsonObject { ["k\0"] = Sample(routes, valueSchema, depth + 1) });
                    if (!routes.AllowsNull(valueSchema))
                    {
                        yield return new($"{at}.k null", new JsonObject { ["k"] = null });
                    }

                    foreach (var inner in Mutations(routes, valueSchema, Sample(routes, valueSchema, depth + 1), $"{at}.k", depth + 1)
                        .Where(m => m.Raw is null && !m.Name.EndsWith(" null", StringComparison.Ordinal)))
                    {
                        yield return new(inner.Name, new JsonObject { ["k"] = inner.Body?.DeepClone() });
                    }
                }

                if (plain["properties"] is JsonObject properties && value is JsonObject body)
                {
                    var required = plain["required"] is JsonArray r ? r.Select(n => n!.GetValue<string>()).ToHashSet() : [];
                    foreach (var name in required)
                    {
                        var copy = body.DeepClone().AsObject();
                        copy.Remove(name);
                        yield return new($"{at}.{name} missing", copy);
                    }

                    var first = body.FirstOrDefault();
                    if (first.Key is not null)
                    {
                        var duplicate = body.ToJsonString();
                        duplicate = duplicate[..^1] + "," + JsonSerializer.Serialize(first.Key) + ":" + (first.Value?.ToJsonString() ?? "null") + "}";
                        yield return new($"{at}.{first.Key} twice", null, duplicate);
                    }

                    foreach (var (name, propertySchema) in properties)
                    {
                        foreach (var inner in Mutations(routes, propertySchema!.AsObject(), body[name], $"{at}.{name}", depth + 1))
                        {
                            if (inner.Raw is not null)
                            {
                                continue;
                            }

                            var copy = body.DeepClone().AsObject();
                            copy[name] = inner.Body?.DeepClone();
                            yield return new(inner.Name, copy);
                        }
                    }
                }

                break;
        }
    }

    private static readonly string[] Candidates =
        ["hostile-subject-1", "subject-1", "policy-1", "identity", "contact", "email", "consent", "collected", "provided", "CN", "zh-CN", "en",
         "v2", "1.0", "a", "test", "2000-01-01", "erase", "law", "x"];

    /// <summary>A value that fits <paramref name="schema"/> as well as a generic guess can: what the attacks corrupt one point of.</summary>
    private static JsonNode? Sample(OpenApiRoutes routes, JsonObject schema, int depth)
    {
        var plain = routes.NonNull(schema);
        if (plain["enum"] is JsonArray values && values.FirstOrDefault(v => v is not null) is { } first)
        {
            return first.DeepClone();
        }

        switch (routes.TypeOf(schema))
        {
            case "string":
                return JsonValue.Create(Scalar(routes, plain, ""));
            case "integer":
                var least = Math.Max(1, plain["minimum"]?.GetValue<double>() ?? 1);
                return JsonValue.Create((long)Math.Min(least, plain["maximum"]?.GetValue<double>() ?? least));
            case "number":
                return JsonValue.Create(1);
            case "boolean":
                return JsonValue.Create(false);
            case "array":
                return depth > 4 || plain["items"] is not JsonObject items ? new JsonArray() : new JsonArray(Sample(routes, items, depth + 1));
            case "object":
                var body = new JsonObject();
                if (depth <= 4 && plain["properties"] is JsonObject properties)
                {
                    // An optional field is left null: the attack on another field then meets the fewest other reasons to refuse.
                    var required = plain["required"] is JsonArray r ? r.Select(n => n!.GetValue<string>()).ToHashSet() : [];
                    foreach (var (name, property) in properties)
                    {
                        body[name] = required.Contains(name) || !routes.AllowsNull(property!.AsObject())
                            ? Sample(routes, property!.AsObject(), depth + 1)
                            : null;
                    }
                }

                return body;
            default:
                return JsonValue.Create("x");
        }
    }

    private static string Scalar(OpenApiRoutes routes, JsonObject schema, string name)
    {
        var plain = routes.NonNull(schema);
        if (plain["enum"] is JsonArray values && values.FirstOrDefault(v => v is not null) is { } first)
        {
            return first.ToString();
        }

        switch (routes.TypeOf(plain), plain["format"]?.GetValue<string>())
        {
            case (_, "uuid"):
                return Guid.NewGuid().ToString();
            case (_, "date-time"):
                return "2026-01-01T00:00:00+00:00";
            case (_, "date"):
                return "2000-01-01";
            case ("integer" or "number", _):
                return "1";
            case ("boolean", _):
                return "false";
        }

        var min = plain["minLength"]?.GetValue<int>() ?? 0;
        var max = plain["maxLength"]?.GetValue<int>() ?? int.MaxValue;
        var pattern = plain["pattern"]?.GetValue<string>();
        IEnumerable<string> candidates = name.Contains("subject", StringComparison.OrdinalIgnoreCase) ? [SubjectId, .. Candidates] : Candidates;
        return candidates.FirstOrDefault(c => c.Length >= min && c.Length <= max && (pattern is null || Regex.IsMatch(c, pattern)))
            ?? new string('a', Math.Clamp(min, 1, max));
    }
}
