using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.ServiceDefaults.Tests;

public sealed class AuthenticationTests(NotesHostFixture fixture) : IClassFixture<NotesHostFixture>
{
    private readonly byte[] _key = Convert.FromBase64String(fixture.Host.Credentials.SigningKey);

    [Fact]
    public async Task Caller_without_credentials_is_refused_with_401_problem_details()
    {
        var response = await PostNoteAsync(_ => { });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_api_key_is_refused()
    {
        var response = await PostNoteAsync(r => r.Headers.Add(AuthenticationExtensions.ApiKeyHeader, "psk_not-a-real-key"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Bearer_token_with_the_right_role_is_accepted()
    {
        var token = BearerTokens.Issue(_key, "backend-person", [SuiteRoles.ProductBackend], TimeSpan.FromMinutes(5));

        var response = await PostNoteAsync(r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Bearer_token_without_the_role_is_forbidden()
    {
        var token = BearerTokens.Issue(_key, "some-subject", [SuiteRoles.Subject], TimeSpan.FromMinutes(5));

        var response = await PostNoteAsync(r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Expired_or_tampered_tokens_are_refused()
    {
        var expired = BearerTokens.Issue(_key, "p", [SuiteRoles.ProductBackend], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddHours(-1));
        var valid = BearerTokens.Issue(_key, "p", [SuiteRoles.Subject], TimeSpan.FromMinutes(5));
        var parts = valid.Split('.');
        var forgedClaims = BearerTokens.Issue(new byte[32], "p", [SuiteRoles.ProductBackend], TimeSpan.FromMinutes(5)).Split('.')[1];
        var tampered = $"{parts[0]}.{forgedClaims}.{parts[2]}";
        var otherKey = BearerTokens.Issue(new byte[32], "p", [SuiteRoles.ProductBackend], TimeSpan.FromMinutes(5));

        foreach (var token in new[] { expired, tampered, otherKey, "not.a.token", "x" })
        {
            var response = await PostNoteAsync(r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public void Issued_token_validates_with_its_claims()
    {
        var token = BearerTokens.Issue(_key, "operator-1", [SuiteRoles.Operator, SuiteRoles.OnCall], TimeSpan.FromMinutes(5));

        var claims = BearerTokens.Validate(_key, token, DateTimeOffset.UtcNow);

        Assert.NotNull(claims);
        Assert.Equal("operator-1", claims.Subject);
        Assert.Equal([SuiteRoles.Operator, SuiteRoles.OnCall], claims.Roles);
        Assert.Null(BearerTokens.Validate(_key, token, DateTimeOffset.UtcNow.AddMinutes(6)));
    }

    [Fact]
    public async Task Health_endpoints_need_no_credentials()
    {
        using var client = new HttpClient { BaseAddress = fixture.Host.Client.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    private async Task<HttpResponseMessage> PostNoteAsync(Action<HttpRequestMessage> authenticate)
    {
        using var client = new HttpClient { BaseAddress = fixture.Host.Client.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, "/notes") { Content = JsonContent.Create(new { text = "auth" }) };
        authenticate(request);
        return await client.SendAsync(request);
    }
}
