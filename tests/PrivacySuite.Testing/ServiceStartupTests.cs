using System.Net;
using System.Text.Json;
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
}
