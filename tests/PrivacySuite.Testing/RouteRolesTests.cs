using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrivacySuite.ServiceDefaults.Auth;
using Xunit;

namespace PrivacySuite.Testing;

/// <summary>
/// Issue 18, item 2: the route × role table of docs/security.md is what the service does. Every endpoint the service
/// serves is in the table and every row of the table is served; every route is called with every role (and with none),
/// and a role the table allows gets past authorization while any other gets 401 or 403.
/// </summary>
public abstract class RouteRolesTests<TProgram>(ServiceFactory<TProgram> factory, string service)
    where TProgram : class
{
    public const string Anonymous = "anonymous";
    private const string SubjectId = "roles-subject-1";

    /// <summary>Served by ServiceDefaults in every service, anonymous by design, and checked by ServiceStartupTests.</summary>
    private static readonly string[] DefaultRoutes = ["GET /health", "GET /alive", "GET /openapi/{documentName}.json"];

    /// <summary>The API reference page and its assets (ServiceDefaults, development only), likewise.</summary>
    private static bool IsDefaultRoute(string route) =>
        DefaultRoutes.Contains(route) || route.StartsWith($"GET {ServiceDefaultsExtensions.ApiReferencePath}", StringComparison.Ordinal);

    [Fact]
    [Trait("Clause", "INF-3.3")]
    [Trait("Issue", "18")]
    public void Every_served_route_is_in_the_role_table_and_every_row_is_served()
    {
        var table = RoleTable.Read(service);
        var served = Endpoints().Select(e => e.Key).ToHashSet(StringComparer.Ordinal);

        var missing = served.Except(table.Keys).Order().ToList();
        var extra = table.Keys.Except(served).Order().ToList();

        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"docs/security.md, service {service}: not in the table: [{string.Join(", ", missing)}]; in the table but not served: [{string.Join(", ", extra)}]");
    }

    [Fact]
    [Trait("Clause", "INF-3.3")]
    [Trait("Issue", "18")]
    public async Task Every_route_answers_every_role_as_the_table_says()
    {
        var table = RoleTable.Read(service);
        var failures = new List<string>();
        var calls = 0;
        foreach (var endpoint in Endpoints().Where(e => table.ContainsKey(e.Key)))
        {
            var allowed = table[endpoint.Key];
            foreach (var role in RoleTable.Roles)
            {
                using var client = ClientFor(role);
                using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), endpoint.Url);
                if (endpoint.Method is "POST" or "PUT" or "PATCH" or "DELETE")
                {
                    // Unreadable on purpose: an allowed caller is stopped by the body's binding (400), before anything is written.
                    request.Content = new StringContent("{\"", Encoding.UTF8, "application/json");
                }

                request.Headers.TryAddWithoutValidation("Idempotency-Key", $"roles-{Guid.NewGuid():N}");
                using var response = await client.SendAsync(request);
                calls++;
                var status = response.StatusCode;
                var ok = allowed.Contains(role) || allowed.Contains(Anonymous)
                    ? status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    : status == (role == Anonymous ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden);
                if (!ok)
                {
                    failures.Add($"{endpoint.Key} as {role}: {(int)status}, table says {(allowed.Contains(role) || allowed.Contains(Anonymous) ? "allowed" : "refused")}");
                }
            }
        }

        Assert.True(calls > 0);
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} calls disagree with docs/security.md:\n  " + string.Join("\n  ", failures));
    }

    private HttpClient ClientFor(string role)
    {
        if (role == Anonymous)
        {
            return factory.CreateClient();
        }

        if (role == SuiteRoles.ProductBackend)
        {
            return factory.CreateProductBackendClient();
        }

        // A service's own token for the service role: a person's token that claims it is refused.
        return factory.CreateClientFor(role, SubjectId);
    }

    private sealed record ServedRoute(string Key, string Method, string Url);

    private List<ServedRoute> Endpoints()
    {
        var routes = new List<ServedRoute>();
        foreach (var endpoint in factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            var key = OpenApiRoutes.NormalizeTemplate(pattern.RawText ?? "");
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                var route = $"{method} {key}";
                if (!IsDefaultRoute(route))
                {
                    routes.Add(new ServedRoute(route, method, Url(pattern)));
                }
            }
        }

        return routes;
    }

    /// <summary>A URL that matches the pattern: a fresh guid where the route takes one, the test's own subject id elsewhere.</summary>
    private static string Url(RoutePattern pattern)
    {
        var url = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            url.Append('/');
            foreach (var part in segment.Parts)
            {
                url.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternParameterPart parameter when parameter.ParameterPolicies.Any(p => p.Content == "guid") => Guid.NewGuid().ToString(),
                    RoutePatternParameterPart parameter when parameter.Name.Contains("subject", StringComparison.OrdinalIgnoreCase) => SubjectId,
                    RoutePatternParameterPart => "roles-x",
                    RoutePatternSeparatorPart separator => separator.Content,
                    _ => "",
                });
            }
        }

        return url.Length == 0 ? "/" : url.ToString();
    }
}

/// <summary>The route × role tables of docs/security.md, one per service.</summary>
public static class RoleTable
{
    public static readonly string[] Roles =
        [RouteRolesTests<object>.Anonymous, SuiteRoles.ProductBackend, SuiteRoles.Operator, SuiteRoles.OnCall, SuiteRoles.PrivacyOfficer, SuiteRoles.Subject, SuiteRoles.Service];

    /// <summary>"METHOD /path" to the roles marked <c>yes</c>, from the section <c>## Service: {service}</c>.</summary>
    public static Dictionary<string, HashSet<string>> Read(string service)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "security.md"));
        var start = Array.FindIndex(lines, l => l.Trim() == $"## Service: {service}");
        Assert.True(start >= 0, $"docs/security.md has no section '## Service: {service}'");
        string[]? header = null;
        var table = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            if (!line.StartsWith('|'))
            {
                continue;
            }

            var cells = line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (header is null)
            {
                header = cells;
                Assert.True(Roles.All(header.Contains), $"docs/security.md, {service}: the table names every role as a column");
                continue;
            }

            if (Regex.Match(cells[0], "^`([A-Z]+ [^`]+)`$") is not { Success: true } route)
            {
                continue;
            }

            Assert.False(table.ContainsKey(route.Groups[1].Value), $"docs/security.md, {service}: {route.Groups[1].Value} twice");
            table[route.Groups[1].Value] = Roles.Where(r => cells[Array.IndexOf(header, r)] == "yes").ToHashSet(StringComparer.Ordinal);
        }

        Assert.NotEmpty(table);
        return table;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PrivacySuite.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("PrivacySuite.sln not found above " + AppContext.BaseDirectory);
    }
}
