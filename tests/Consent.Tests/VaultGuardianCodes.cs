using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace PrivacySuite.Consent.Tests;

/// <summary>A grant's <c>guardian</c> object, as a product backend sends it.</summary>
public sealed record GuardianClaim(string GuardianId, Guid VerificationId, string Code);

/// <summary>
/// Stands in for the vault's guardian codes, with exactly its contract: <c>POST /v1/guardian-verifications/{id}/redemption</c>
/// <c>{ guardianId, minorSubjectId, code }</c> (a bearer token) answers 200 once for a code <see cref="Issue"/> made for
/// that guardian and minor, else 403 problem details with the vault's reason. The real vault behind the same route is
/// tested with the real consent service in Vault.Tests (GuardianTests); these tests are about consent's own checks.
/// </summary>
public sealed partial class VaultGuardianCodes : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, (string Guardian, string Minor, string Code)> _issued = new();
    private LocalHttpServer _server = null!;

    public Uri Address => _server.Address;

    /// <summary>Answers 503 to every request: a vault that is down.</summary>
    public bool Down { get; set; }

    /// <summary>Redemptions asked for, right or wrong.</summary>
    public int Redemptions;

    public static async Task<VaultGuardianCodes> StartAsync()
    {
        var codes = new VaultGuardianCodes();
        codes._server = await LocalHttpServer.StartAsync(codes.HandleAsync);
        return codes;
    }

    /// <summary>A grant's <c>guardian</c> object with a code the guardian received for this minor.</summary>
    public GuardianClaim Issue(string guardianId, string minorSubjectId)
    {
        var id = Guid.NewGuid();
        var code = Random.Shared.Next(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        _issued[id] = (guardianId, minorSubjectId, code);
        return new GuardianClaim(guardianId, id, code);
    }

    private async Task HandleAsync(HttpContext http)
    {
        var route = Redemption().Match(http.Request.Path.Value ?? "");
        if (http.Request.Method != "POST" || !route.Success)
        {
            http.Response.StatusCode = 404;
            return;
        }

        Interlocked.Increment(ref Redemptions);
        if (!http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
        {
            http.Response.StatusCode = 401;
            return;
        }

        if (Down)
        {
            http.Response.StatusCode = 503;
            return;
        }

        var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
        var id = Guid.Parse(route.Groups[1].Value);
        var asked = (body.GetProperty("guardianId").GetString(), body.GetProperty("minorSubjectId").GetString(), body.GetProperty("code").GetString());
        if (_issued.TryGetValue(id, out var issued) && issued == asked && _issued.TryRemove(id, out _))
        {
            await http.Response.WriteAsJsonAsync(new { verificationId = id, guardianId = issued.Guardian, minorSubjectId = issued.Minor });
            return;
        }

        http.Response.StatusCode = 403;
        await http.Response.WriteAsJsonAsync(new { status = 403, reason = _issued.ContainsKey(id) ? "wrong-code" : "unknown-verification" },
            (JsonSerializerOptions?)null, "application/problem+json");
    }

    [GeneratedRegex("^/v1/guardian-verifications/([0-9a-fA-F-]{36})/redemption$")]
    private static partial Regex Redemption();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
