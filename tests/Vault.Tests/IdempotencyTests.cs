using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>Idempotency-Key on the store route (issue 20.2): a retried store answers its first answer and writes once.</summary>
public sealed class IdempotencyTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private static string NewSubject() => $"idem-{Guid.NewGuid():N}"[..24];

    private static HttpRequestMessage Store(string subjectId, string key, string email, string category = "contact", string legalBasis = "consent",
        string[]? purposes = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/subjects/{subjectId}/data")
        {
            Content = JsonContent.Create(new { category, source = "provided", legalBasis, fields = new { email, language = "zh-CN" }, purposes }),
        };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private Task<int> WritesAsync(string subjectId) =>
        factory.WithDbAsync(db => db.AccessLog.CountAsync(a => a.SubjectId == subjectId && a.Action == "write"));

    private Task<int> VersionAsync(string subjectId) =>
        factory.WithDbAsync(db => db.Values.Where(v => v.SubjectId == subjectId && v.Field == "email").Select(v => v.Version).SingleAsync());

    private async Task<int> StoredEventsAsync(string subjectId) =>
        (await factory.OutboxAsync()).Count(m => m.MessageType.Contains("SubjectDataStored", StringComparison.Ordinal) && m.Payload.Contains(subjectId, StringComparison.Ordinal));

    [Fact]
    [Trait("Issue", "20")]
    public async Task The_same_key_with_the_same_request_answers_the_first_answer_and_writes_once()
    {
        var subject = NewSubject();
        using var client = factory.Backend();

        using var first = await client.SendAsync(Store(subject, "key-1", "rider@example.com"));
        using var again = await client.SendAsync(Store(subject, "key-1", "rider@example.com"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await VersionAsync(subject));
        Assert.Equal(1, await WritesAsync(subject));
        Assert.Equal(2, await StoredEventsAsync(subject)); // one per field, once
        var kept = await factory.WithDbAsync(db => db.IdempotencyKeys.AsNoTracking().SingleAsync(k => k.IdempotencyKey == "key-1" && k.Response.Contains(subject)));
        Assert.DoesNotContain("rider@example.com", kept.RequestHash + kept.Response, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(24), kept.ExpiresAt - kept.CreatedAt);
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task The_same_key_with_another_request_is_refused_with_422_and_writes_nothing()
    {
        var subject = NewSubject();
        using var client = factory.Backend();
        using var first = await client.SendAsync(Store(subject, "key-2", "rider@example.com"));

        using var other = await client.SendAsync(Store(subject, "key-2", "someone.else@example.com"));
        using var otherSubject = await client.SendAsync(Store(NewSubject(), "key-2", "rider@example.com"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        foreach (var refused in new[] { other, otherSubject })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("idempotency-key-reused", problem.GetProperty("reason").GetString());
            Assert.DoesNotContain("example.com", problem.GetRawText(), StringComparison.Ordinal);
        }

        Assert.Equal(1, await VersionAsync(subject));
        Assert.Equal(1, await WritesAsync(subject));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_key_is_the_callers_own()
    {
        var subject = NewSubject();
        using var a = factory.CreateClientFor(SuiteRoles.ProductBackend, "backend-a");
        using var b = factory.CreateClientFor(SuiteRoles.ProductBackend, "backend-b");

        using var fromA = await a.SendAsync(Store(subject, "shared-key", "rider@example.com"));
        using var fromB = await b.SendAsync(Store(subject, "shared-key", "rider.new@example.com"));

        Assert.Equal(HttpStatusCode.OK, fromA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromB.StatusCode);
        Assert.False(fromB.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, await VersionAsync(subject));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task Concurrent_duplicates_write_once_and_all_get_the_first_answer()
    {
        var subject = NewSubject();
        var key = Guid.NewGuid().ToString();
        using var client = factory.Backend();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendAsync(Store(subject, key, "rider@example.com"))));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(bodies.Distinct());
        Assert.Equal(7, responses.Count(r => r.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal(1, await VersionAsync(subject));
        Assert.Equal(1, await WritesAsync(subject));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task An_expired_key_may_be_used_again_for_a_new_write()
    {
        var subject = NewSubject();
        var key = Guid.NewGuid().ToString();
        using var client = factory.Backend();
        using var first = await client.SendAsync(Store(subject, key, "rider@example.com"));
        await factory.ExecuteSqlAsync($"update idempotency_keys set expires_at = now() - interval '1 second' where idempotency_key = '{key}'");

        using var later = await client.SendAsync(Store(subject, key, "rider.new@example.com"));

        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.False(later.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, await VersionAsync(subject));
        Assert.Equal(1, await factory.WithDbAsync(db => db.IdempotencyKeys.CountAsync(k => k.IdempotencyKey == key)));
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task A_refused_write_keeps_no_key_and_a_malformed_key_is_400()
    {
        var subject = NewSubject();
        var key = Guid.NewGuid().ToString();
        using var client = factory.Backend();

        // Refused inside the write (a basis for a purpose the catalogue does not have): nothing kept, the key still free.
        using var refused = await client.SendAsync(Store(subject, key, "rider@example.com", legalBasis: "contract", purposes: ["no.such-purpose"]));
        using var fixedUp = await client.SendAsync(Store(subject, key, "rider@example.com"));
        using var tooLong = await client.SendAsync(Store(subject, new string('k', 129), "rider@example.com"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("unknown-purpose", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, fixedUp.StatusCode);
        Assert.False(fixedUp.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.True((await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        Assert.Equal(1, await VersionAsync(subject));
    }
}
