using System.Net;
using System.Net.Http.Json;
using System.Text;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

/// <summary>Issue 18, item 9: a body the service cannot read whole never starts a sweep.</summary>
public sealed class BadInputTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    [Trait("Clause", "INF-2.2")]
    public async Task A_sweep_request_that_is_not_valid_UTF8_or_does_not_say_dryRun_starts_nothing()
    {
        using var client = factory.ClientFor(SuiteRoles.Operator);
        var before = await factory.ScalarAsync<long>("select count(*) from sweeps");
        var invalid = new ByteArrayContent([.. "{\"dryRun\":true,\"x\":\""u8.ToArray(), 0xC3, 0x28, .. "\"}"u8.ToArray()]);
        invalid.Headers.ContentType = new("application/json") { CharSet = "utf-8" };

        using var notUtf8 = await client.PostAsync("/v1/sweeps", invalid);
        using var empty = await client.PostAsJsonAsync("/v1/sweeps", new { });
        using var asNumber = await client.PostAsJsonAsync("/v1/sweeps", new { dryRun = 0 });

        foreach (var response in new[] { notUtf8, empty, asNumber })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(before, await factory.ScalarAsync<long>("select count(*) from sweeps"));
    }
}
