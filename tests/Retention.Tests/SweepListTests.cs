using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

/// <summary>GET /v1/sweeps: the sweeps the operators' dashboard shows with their progress.</summary>
public sealed class SweepListTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    public async Task Sweeps_are_listed_newest_first_with_their_progress()
    {
        var first = await Helpers.SweepAsync(factory);
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await Helpers.SweepAsync(factory);
        using var operatorClient = factory.ClientFor(SuiteRoles.Operator);

        var sweeps = (await operatorClient.GetFromJsonAsync<JsonElement>("/v1/sweeps")).EnumerateArray().ToList();
        var one = (await operatorClient.GetFromJsonAsync<JsonElement>("/v1/sweeps?limit=1")).EnumerateArray().ToList();

        Assert.Equal([second.GetProperty("id").GetGuid(), first.GetProperty("id").GetGuid()], sweeps.Take(2).Select(s => s.GetProperty("id").GetGuid()));
        Assert.Equal(second.GetProperty("id").GetGuid(), Assert.Single(one).GetProperty("id").GetGuid());
        Assert.All(sweeps, s =>
        {
            Assert.Equal("completed", s.GetProperty("state").GetString());
            Assert.Equal(1, s.GetProperty("progress").GetDouble());
        });
    }

    [Fact]
    public async Task A_bad_limit_is_a_problem_and_product_backends_may_not_list_sweeps()
    {
        using var operatorClient = factory.ClientFor(SuiteRoles.Operator);
        using var backend = factory.CreateProductBackendClient();

        using var zero = await operatorClient.GetAsync("/v1/sweeps?limit=0");
        using var huge = await operatorClient.GetAsync("/v1/sweeps?limit=101");
        using var forbidden = await backend.GetAsync("/v1/sweeps");

        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Equal("application/problem+json", zero.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }
}
