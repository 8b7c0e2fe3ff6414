using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PrivacySuite.ServiceDefaults.Auth;
using Xunit;

namespace PrivacySuite.Testing;

/// <summary>What every service must do on start-up, whatever its domain; each service's StartupTests inherits these.</summary>
public abstract class ServiceStartupTests<TProgram>(ServiceFactory<TProgram> factory)
    where TProgram : class
{
    [Fact]
    public async Task Service_migrates_its_database_and_reports_healthy()
    {
        using var client = factory.CreateClient();

        using var health = await client.GetAsync("/health");
        using var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        var migrations = await factory.AppliedMigrationsAsync();
        Assert.Contains("0000_messaging", migrations);
        Assert.Contains(migrations, m => m.StartsWith("0001_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenApi_document_is_served()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task Unknown_caller_gets_problem_details_not_a_page()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/v1/no-such-route");

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task OpenApi_document_matches_the_one_committed_under_docs_api()
    {
        using var client = factory.CreateClient();
        var live = ApiDocuments.Normalize(await client.GetStringAsync("/openapi/v1.json"));
        var path = ApiDocuments.PathFor(factory.ServiceName);

        if (Environment.GetEnvironmentVariable(ApiDocuments.UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, ApiDocuments.Write(live));
        }

        var regenerate = $"if the change is intended, regenerate with ./eng/api-docs.sh {factory.ServiceName} and commit docs/api/{factory.ServiceName}.json";
        Assert.True(File.Exists(path), $"docs/api/{factory.ServiceName}.json is missing; {regenerate}.");
        var committed = ApiDocuments.Normalize(await File.ReadAllTextAsync(path));
        Assert.True(JsonNode.DeepEquals(committed, live),
            $"docs/api/{factory.ServiceName}.json differs from the service's live /openapi/v1.json at {ApiDocuments.FirstDifference(committed, live)}; {regenerate}.");
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task OpenApi_document_says_how_each_route_authenticates()
    {
        using var client = factory.CreateClient();
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject();

        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal("apiKey", schemes["ApiKey"]!["type"]!.GetValue<string>());
        Assert.Equal("header", schemes["ApiKey"]!["in"]!.GetValue<string>());
        Assert.Equal(AuthenticationExtensions.ApiKeyHeader, schemes["ApiKey"]!["name"]!.GetValue<string>());
        Assert.Equal("bearer", schemes["Bearer"]!["scheme"]!.GetValue<string>());
        var operations = new OpenApiRoutes(document).Operations();
        Assert.NotEmpty(operations);
        foreach (var operation in operations)
        {
            var item = document["paths"]![operation.Path]![operation.Method.ToLowerInvariant()]!;
            var roles = (item["x-roles"] as JsonArray)?.Select(r => r!.GetValue<string>()).ToList();
            var declared = (item["security"] as JsonArray ?? []).SelectMany(r => r!.AsObject().Select(p => p.Key)).ToList();
            // Anonymous routes (the receipt keys, public bulletins) carry neither; every other route both, and they agree.
            Assert.True(roles is null == (declared.Count == 0), $"{operation}: x-roles [{string.Join(", ", roles ?? [])}], security [{string.Join(", ", declared)}]");
            Assert.Equal(roles?.Contains(SuiteRoles.ProductBackend) == true, declared.Contains("ApiKey"));
        }
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task Every_json_body_has_an_example_the_service_reads_without_complaint()
    {
        using var anonymous = factory.CreateClient();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!.AsObject();
        var failures = new List<string>();
        var posted = 0;
        foreach (var operation in new OpenApiRoutes(document).Operations().Where(o => o.BodySchema is not null))
        {
            var item = document["paths"]![operation.Path]![operation.Method.ToLowerInvariant()]!;
            if (item["requestBody"]?["content"]?["application/json"]?["example"] is not JsonNode example)
            {
                failures.Add($"{operation}: no request example");
                continue;
            }

            var roles = (item["x-roles"] as JsonArray)?.Select(r => r!.GetValue<string>()).ToList() ?? [SuiteRoles.ProductBackend];
            using var client = roles.Contains(SuiteRoles.ProductBackend) ? factory.CreateProductBackendClient() : factory.CreateClientFor(roles[0]);
            using var request = new HttpRequestMessage(new HttpMethod(operation.Method), Url(operation))
            {
                Content = new StringContent(example.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", $"example-{Guid.NewGuid():N}");
            using var response = await client.SendAsync(request);
            posted++;
            // The example passed the strict reader and the validation; what the handler then decides (404 for the example's
            // made-up subject, 409, 422) is about the data, not the shape.
            if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnsupportedMediaType
                || (int)response.StatusCode >= 500)
            {
                failures.Add($"{operation}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} request examples of {factory.ServiceName} are missing or refused:\n  " + string.Join("\n  ", failures));
        Assert.True(posted > 0, "every service takes a JSON body somewhere");
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task Api_reference_page_and_its_script_are_served_by_the_service_itself()
    {
        using var client = factory.CreateClient();

        using var page = await client.GetAsync("/scalar/v1");
        var html = await page.Content.ReadAsStringAsync();
        var script = Regex.Match(html, "<script[^>]+src=\"([^\"]+)\"").Groups[1].Value;
        using var scriptResponse = await client.GetAsync(new Uri(new Uri(client.BaseAddress!, "/scalar/v1"), script));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        // No internet here: the script must come from this service (a relative URL), never from a CDN.
        Assert.False(Uri.TryCreate(script, UriKind.Absolute, out _), $"the page loads its script from {script}");
        Assert.Equal(HttpStatusCode.OK, scriptResponse.StatusCode);
        Assert.True((await scriptResponse.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }

    /// <summary>A URL for the operation: a fresh guid for a guid, 1 for a number, the parameter's example or a made-up id otherwise.</summary>
    private static string Url(OpenApiOperation operation)
    {
        string ValueOf(OpenApiParameter p) => p.Example ?? (p.Schema["format"]?.GetValue<string>() == "uuid" ? Guid.NewGuid().ToString()
            : p.Schema["type"]?.ToString() is "integer" or "number" ? "1"
            : p.Schema["enum"] is JsonArray values ? values[0]!.ToString()
            : "example-subject-1");
        var path = operation.Parameters.Where(p => p.In == "path")
            .Aggregate(operation.Path, (url, p) => url.Replace($"{{{p.Name}}}", Uri.EscapeDataString(ValueOf(p)), StringComparison.Ordinal));
        var query = string.Join("&", operation.Parameters.Where(p => p.In == "query" && p.Required).Select(p => $"{p.Name}={Uri.EscapeDataString(ValueOf(p))}"));
        return query.Length == 0 ? path : $"{path}?{query}";
    }
}
