using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Tests.NotesApp;

namespace PrivacySuite.ServiceDefaults.Tests;

/// <summary>Issue 20.4: the API reference page is served in development, from the package's own assets, and not at all in production.</summary>
public sealed class ApiReferenceTests
{
    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    [Trait("Issue", "20")]
    public async Task The_reference_page_is_served_locally_in_development_and_not_mapped_in_production(string environment)
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        var name = $"reference{environment.ToLowerInvariant()}";
        await using var host = await NotesHost.StartAsync(
            await infrastructure.CreateDatabaseAsync(name), await infrastructure.CreateVirtualHostAsync(name), environment: environment);

        // Over a real socket (Kestrel on 127.0.0.1), as a browser would load it, with no credentials.
        using var page = await host.Client.GetAsync("/scalar/v1");
        var routes = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText ?? "").Where(r => r.StartsWith("/scalar", StringComparison.Ordinal)).ToList();

        if (environment == "Production")
        {
            Assert.Empty(routes);
            Assert.NotEqual(HttpStatusCode.OK, page.StatusCode);
            return;
        }

        var html = await page.Content.ReadAsStringAsync();
        var scripts = Regex.Matches(html, "<script[^>]+src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            // The machine has no internet: every script is this service's own URL, and it answers.
            var url = new Uri(new Uri(host.Client.BaseAddress!, "/scalar/v1"), script);
            Assert.Equal(host.Client.BaseAddress!.Authority, url.Authority);
            using var response = await host.Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var document = await host.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
    }
}
