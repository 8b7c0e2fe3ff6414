using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>GET /v1/subject-requests: the subject-request queue the operators' dashboard shows, by subject id only.</summary>
public sealed class SubjectRequestListTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    public async Task Open_requests_are_listed_with_their_start_and_a_carried_out_one_as_completed()
    {
        await factory.StoreAsync("queue-1", "contact", new { email = "queue1@example.cn" });
        using var backend = factory.Backend();
        var (waiting, _) = await StartAsync(backend, "queue-1", "erasure");
        var (done, code) = await StartAsync(backend, "queue-1", "access");
        using var access = await backend.PostAsJsonAsync("/v1/subjects/queue-1/access", new { verificationId = done, code });
        Assert.Equal(HttpStatusCode.OK, access.StatusCode);
        using var officer = factory.Officer();

        var open = await officer.GetFromJsonAsync<List<JsonElement>>("/v1/subject-requests?state=open");
        var all = await officer.GetFromJsonAsync<List<JsonElement>>("/v1/subject-requests");

        var row = open!.Single(r => r.GetProperty("id").GetGuid() == waiting);
        Assert.Equal(("queue-1", "erasure", "open"), (row.GetProperty("subjectId").GetString(), row.GetProperty("request").GetString(), row.GetProperty("state").GetString()));
        Assert.Equal(TimeSpan.FromMinutes(10), row.GetProperty("expiresAt").GetDateTimeOffset() - row.GetProperty("startedAt").GetDateTimeOffset());
        Assert.InRange(row.GetProperty("startedAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.DoesNotContain(open!, r => r.GetProperty("id").GetGuid() == done);
        var completed = all!.Single(r => r.GetProperty("id").GetGuid() == done);
        Assert.Equal("completed", completed.GetProperty("state").GetString());
        Assert.True(completed.GetProperty("completedAt").TryGetDateTimeOffset(out _));
        Assert.All(all!, r => Assert.False(r.TryGetProperty("code", out _) || r.TryGetProperty("codeHash", out _)));
    }

    [Fact]
    public async Task An_unknown_state_or_bad_limit_is_a_problem_and_product_backends_may_not_list_requests()
    {
        using var officer = factory.Officer();
        using var backend = factory.Backend();

        using var unknown = await officer.GetAsync("/v1/subject-requests?state=lost");
        using var zero = await officer.GetAsync("/v1/subject-requests?limit=0");
        using var forbidden = await backend.GetAsync("/v1/subject-requests");

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, zero.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    /// <summary>Starts a request and fetches its code as the notification service does.</summary>
    private Task<(Guid Id, string Code)> StartAsync(HttpClient client, string subjectId, string request) => factory.StartRequestAsync(client, subjectId, request);
}
