using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.ServiceDefaults.Tests;

public sealed class AuthenticationTests(NotesHostFixture fixture) : IClassFixture<NotesHostFixture>
{
    private DevCredentials Credentials => fixture.Host.Credentials;

    private ECDsaSecurityKey IssuerKey => SuiteTokens.ReadPrivateKey(Credentials.IssuerPrivateKey)!;

    private ECDsaSecurityKey ServiceKey => SuiteTokens.ReadPrivateKey(Credentials.ServicePrivateKey)!;

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
        var response = await PostNoteAsync(Bearer(Credentials.IssueToken("backend-person", [SuiteRoles.ProductBackend], TimeSpan.FromMinutes(5))));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Bearer_token_without_the_role_is_forbidden()
    {
        var response = await PostNoteAsync(Bearer(Credentials.IssueToken("some-subject", [SuiteRoles.Subject], TimeSpan.FromMinutes(5))));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_persons_token_passes_with_its_name_and_roles()
    {
        var (status, name, roles) = await WhoAmIAsync(Credentials.IssueToken("operator-1", [SuiteRoles.Operator, SuiteRoles.OnCall]));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("operator-1", name);
        Assert.Equal([SuiteRoles.Operator, SuiteRoles.OnCall], roles);
    }

    [Fact]
    public async Task A_service_token_passes_as_a_service_and_nothing_else()
    {
        var (status, name, roles) = await WhoAmIAsync(Credentials.IssueServiceToken("vault"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("vault", name);
        Assert.Equal([SuiteRoles.Service], roles);
        // and a service token opens no door that needs a person's or a backend's role
        Assert.Equal(HttpStatusCode.Forbidden, (await PostNoteAsync(Bearer(Credentials.IssueServiceToken("vault")))).StatusCode);
    }

    [Fact]
    public async Task A_token_signed_with_a_service_key_is_refused_as_a_persons()
    {
        var now = DateTimeOffset.UtcNow;
        // What a compromised service could mint with the key it holds: a person's token under the people issuer's name...
        var asPerson = SuiteTokens.Issue(ServiceKey, DevCredentials.Issuer, DevCredentials.Audience, "officer-1", [SuiteRoles.PrivacyOfficer], now, TimeSpan.FromMinutes(5));
        // ...or its own issuer's token with a person's role in it.
        var withPersonRole = SuiteTokens.Issue(ServiceKey, SuiteAuthOptions.ServiceIssuer, DevCredentials.Audience, "officer-1", [SuiteRoles.PrivacyOfficer], now, TimeSpan.FromMinutes(5));
        var withBoth = SuiteTokens.Issue(ServiceKey, SuiteAuthOptions.ServiceIssuer, DevCredentials.Audience, "vault", [SuiteRoles.Service, SuiteRoles.ProductBackend], now, TimeSpan.FromMinutes(5));

        foreach (var token in new[] { asPerson, withPersonRole, withBoth })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(token)).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(token))).StatusCode);
        }
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task The_privacy_centres_token_passes_as_its_subject_and_nothing_else()
    {
        var (status, name, roles) = await WhoAmIAsync(Credentials.IssuePrivacyCentreToken("rider-7"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("rider-7", name);
        Assert.Equal([SuiteRoles.Subject], roles);
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "20")]
    public async Task A_guardian_acting_for_a_minor_passes_as_the_minor_and_is_recorded_as_the_guardian()
    {
        using var client = new HttpClient { BaseAddress = fixture.Host.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Credentials.IssuePrivacyCentreToken("minor-3", actor: "guardian-9"));

        var whoami = await client.GetFromJsonAsync<JsonElement>("/whoami");

        Assert.Equal("minor-3", whoami.GetProperty("name").GetString());
        Assert.Equal("guardian-9", whoami.GetProperty("caller").GetString());
        // An act claim that names nobody is refused, and the people issuer's tokens carry no actor at all.
        var centreKey = SuiteTokens.ReadPrivateKey(Credentials.PrivacyCentrePrivateKey)!;
        var nobody = SuiteTokens.Issue(centreKey, SuiteAuthOptions.PrivacyCentreIssuer, DevCredentials.Audience, "minor-3", [SuiteRoles.Subject],
            DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), actor: "");
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(nobody)).Status);
        var viaPeopleIssuer = SuiteTokens.Issue(IssuerKey, DevCredentials.Issuer, DevCredentials.Audience, "minor-3", [SuiteRoles.Subject],
            DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), actor: "guardian-9");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", viaPeopleIssuer);
        Assert.Equal("minor-3", (await client.GetFromJsonAsync<JsonElement>("/whoami")).GetProperty("caller").GetString());
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task The_privacy_centres_key_signs_no_other_role_and_no_other_issuers_token()
    {
        var centreKey = SuiteTokens.ReadPrivateKey(Credentials.PrivacyCentrePrivateKey)!;
        var now = DateTimeOffset.UtcNow;
        // What a compromised centre could mint: its own issuer's token with a broader role...
        var officer = SuiteTokens.Issue(centreKey, SuiteAuthOptions.PrivacyCentreIssuer, DevCredentials.Audience, "x", [SuiteRoles.PrivacyOfficer], now, TimeSpan.FromMinutes(5));
        var subjectAndBackend = SuiteTokens.Issue(centreKey, SuiteAuthOptions.PrivacyCentreIssuer, DevCredentials.Audience, "x",
            [SuiteRoles.Subject, SuiteRoles.ProductBackend], now, TimeSpan.FromMinutes(5));
        // ...or a token in the people issuer's or the services' name...
        var asPeopleIssuer = SuiteTokens.Issue(centreKey, DevCredentials.Issuer, DevCredentials.Audience, "x", [SuiteRoles.Subject], now, TimeSpan.FromMinutes(5));
        var asService = SuiteTokens.Issue(centreKey, SuiteAuthOptions.ServiceIssuer, DevCredentials.Audience, "vault", [SuiteRoles.Service], now, TimeSpan.FromMinutes(5));
        // ...and a subject token in the centre's name signed by another key.
        var otherKey = DevCredentials.Generate().IssuePrivacyCentreToken("x");

        foreach (var token in new[] { officer, subjectAndBackend, asPeopleIssuer, asService, otherKey })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(token)).Status);
        }
    }

    [Fact]
    public async Task A_persons_token_cannot_claim_the_service_role()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await WhoAmIAsync(Credentials.IssueToken("someone", [SuiteRoles.Service]))).Status);
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused()
    {
        var token = SuiteTokens.Issue(IssuerKey, "someone-else", DevCredentials.Audience, "p", [SuiteRoles.ProductBackend], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(token))).StatusCode);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var token = SuiteTokens.Issue(IssuerKey, DevCredentials.Issuer, "another-product", "p", [SuiteRoles.ProductBackend], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(token))).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var token = SuiteTokens.Issue(IssuerKey, DevCredentials.Issuer, DevCredentials.Audience, "p", [SuiteRoles.ProductBackend],
            DateTimeOffset.UtcNow.AddHours(-1), TimeSpan.FromMinutes(5));

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(token))).StatusCode);
    }

    [Fact]
    public async Task An_unsigned_token_alg_none_is_refused()
    {
        var token = $"{Base64Url("""{"alg":"none","typ":"JWT"}""")}.{Base64Url(PersonPayload(SuiteRoles.ProductBackend))}.";

        Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(token))).StatusCode);
    }

    [Fact]
    public async Task An_hs256_token_keyed_with_the_issuers_public_key_is_refused()
    {
        // The classic confusion: the public key is no secret, so a verifier that took it as an HMAC key would accept anything.
        var publicKey = Credentials.ToEnvironment()["PrivacySuite__Auth__IssuerKey"];
        foreach (var secret in new[] { Convert.FromBase64String(publicKey), Encoding.ASCII.GetBytes(publicKey) })
        {
            var signingInput = $"{Base64Url("""{"alg":"HS256","typ":"JWT"}""")}.{Base64Url(PersonPayload(SuiteRoles.ProductBackend))}";
            var token = $"{signingInput}.{Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)))}";

            Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(token))).StatusCode);
        }

        var viaLibrary = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = DevCredentials.Issuer,
            Audience = DevCredentials.Audience,
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = "p", ["roles"] = new[] { SuiteRoles.ProductBackend } },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(publicKey)), SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(viaLibrary))).StatusCode);
    }

    [Fact]
    public async Task Tampered_or_foreign_tokens_are_refused()
    {
        var valid = Credentials.IssueToken("p", [SuiteRoles.Subject], TimeSpan.FromMinutes(5));
        var parts = valid.Split('.');
        var tampered = $"{parts[0]}.{Base64Url(PersonPayload(SuiteRoles.ProductBackend))}.{parts[2]}";
        var otherIssuerKey = DevCredentials.Generate().IssueToken("p", [SuiteRoles.ProductBackend], TimeSpan.FromMinutes(5));

        foreach (var token in new[] { tampered, otherIssuerKey, "not.a.token", "x" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await PostNoteAsync(Bearer(token))).StatusCode);
        }
    }

    [Fact]
    public void A_service_is_given_no_key_that_signs_a_persons_token()
    {
        var configuration = fixture.Host.Services.GetRequiredService<IConfiguration>();

        Assert.DoesNotContain(configuration.AsEnumerable(), kv => kv.Value == Credentials.IssuerPrivateKey);
        Assert.DoesNotContain(Credentials.IssuerPrivateKey, Credentials.ToEnvironment().Values);
        Assert.DoesNotContain(configuration.AsEnumerable(), kv => kv.Value == Credentials.PrivacyCentrePrivateKey);
        Assert.DoesNotContain(Credentials.PrivacyCentrePrivateKey, Credentials.ToEnvironment().Values);
    }

    [Fact]
    public async Task Health_endpoints_need_no_credentials()
    {
        using var client = new HttpClient { BaseAddress = fixture.Host.Client.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    private static Action<HttpRequestMessage> Bearer(string token) =>
        r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

    private static string PersonPayload(string role)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = DevCredentials.Issuer, ["aud"] = DevCredentials.Audience, ["sub"] = "p", ["roles"] = new[] { role },
            ["iat"] = now, ["exp"] = now + 300,
        });
    }

    private static string Base64Url(string text) => Base64Url(Encoding.UTF8.GetBytes(text));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task<HttpResponseMessage> PostNoteAsync(Action<HttpRequestMessage> authenticate)
    {
        using var client = new HttpClient { BaseAddress = fixture.Host.Client.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, "/notes") { Content = JsonContent.Create(new { text = "auth" }) };
        authenticate(request);
        return await client.SendAsync(request);
    }

    private async Task<(HttpStatusCode Status, string? Name, string[] Roles)> WhoAmIAsync(string token)
    {
        using var client = new HttpClient { BaseAddress = fixture.Host.Client.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync("/whoami");
        if (!response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null, []);
        }

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("name").GetString(),
            [.. body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!)]);
    }
}
