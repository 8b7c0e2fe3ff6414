using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using PrivacySuite.Contracts;

namespace PrivacySuite.PrivacyCentre.Apis;

/// <summary>What the centre takes from the browser, by the rules the services check again (a policy id and version as consent's).</summary>
internal static class Patterns
{
    public const string Purpose = PurposeCode.Pattern;
    public const string SubjectId = PrivacySuite.Contracts.SubjectId.Pattern;
    public const string Token = IdPatterns.Opaque;
    public const string Version = IdPatterns.PolicyVersion;
}

/// <summary>
/// Consent to a purpose as shown under <c>policyVersion</c>; <c>sensitiveCategories</c> agreed to separately, on their
/// own; <c>guardianCode</c>, when a guardian consents for a minor, the code sent to the guardian for it.
/// </summary>
public sealed record GiveConsentRequest(
    [property: Required, RegularExpression(Patterns.Purpose)] string Purpose,
    [property: Required, RegularExpression(Patterns.Version)] string PolicyVersion,
    [property: MaxLength(2)] IReadOnlyList<string>? SensitiveCategories,
    GuardianCode? GuardianCode);

public sealed record GuardianCode(Guid VerificationId, [property: Required, RegularExpression("^[0-9]{6}$")] string Code);

/// <summary>Which request the one-time code is for.</summary>
public sealed record RequestCode([property: Required, RegularExpression("^(access|export|rectification|erasure)$")] string Request);

/// <summary>An access or an export, with the code that came for it.</summary>
public sealed record VerifiedRequest(Guid VerificationId, [property: Required, RegularExpression("^[0-9]{6}$")] string Code);

public sealed record CorrectionRequest(
    Guid VerificationId,
    [property: Required, RegularExpression("^[0-9]{6}$")] string Code,
    [property: Required, RegularExpression("^[a-z]{1,32}$")] string Category,
    [property: Required, MinLength(1), MaxLength(20)] Dictionary<string, string> Fields,
    [property: Required, StringLength(500, MinimumLength = 1)] string Reason);

public sealed record ErasureRequest(
    Guid VerificationId,
    [property: Required, RegularExpression("^[0-9]{6}$")] string Code,
    [property: Required, StringLength(500, MinimumLength = 1)] string Reason);

/// <summary>
/// What a signed-in person can see and do, each route one call to one service for their own subject id (the cookie's),
/// with a token minted for them: the services decide and the centre passes their answers on. No route takes a subject
/// id from the browser.
/// </summary>
public static class PersonApi
{
    public static IEndpointRouteBuilder MapPersonApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Person");
        api.MapGet("/consents", (Me me, CancellationToken ct) => me.SendAsync("consent", HttpMethod.Get, $"/v1/subjects/{me.Id}/consents", null, ct))
            .WithSummary("The person's consents, their history, and what each purpose of their policy allows now.");
        api.MapGet("/purposes", ([RegularExpression(Patterns.Token)] string policyId, Me me, CancellationToken ct) =>
                me.SendAsync("consent", HttpMethod.Get, $"/v1/purposes?policyId={Uri.EscapeDataString(policyId)}", null, ct))
            .WithSummary("The purposes of the person's policy, with their names in en and zh-CN.");
        api.MapGet("/policies/{policyId}/current", ([RegularExpression(Patterns.Token)] string policyId, Me me, CancellationToken ct) =>
                me.SendAsync("consent", HttpMethod.Get, $"/v1/policies/{Uri.EscapeDataString(policyId)}/current", null, ct))
            .WithSummary("The policy version in force and its text.");
        api.MapPost("/consents", (GiveConsentRequest request, Me me, IOptions<PrivacyCentreOptions> options, CancellationToken ct) =>
                me.SendAsync("consent", HttpMethod.Post, $"/v1/subjects/{me.Id}/consents", new
                {
                    purpose = request.Purpose,
                    policyVersion = request.PolicyVersion,
                    collectionMethod = "privacy-centre",
                    jurisdiction = options.Value.Jurisdiction,
                    sensitiveCategories = request.SensitiveCategories,
                    guardian = me.Guardian is { } guardian && request.GuardianCode is { } code
                        ? new { guardianId = guardian, verificationId = code.VerificationId, code = code.Code }
                        : null,
                }, ct))
            .WithSummary("Gives consent to a purpose as shown under the version named (again, after a policy change).");
        api.MapDelete("/consents/{purpose}", ([RegularExpression(Patterns.Purpose)] string purpose, Me me, CancellationToken ct) =>
                me.SendAsync("consent", HttpMethod.Delete, $"/v1/subjects/{me.Id}/consents/{purpose}", null, ct))
            .WithSummary("Withdraws consent to a purpose that is not essential.");
        api.MapDelete("/consents/{purpose}/sensitive-categories/{category}",
                ([RegularExpression(Patterns.Purpose)] string purpose, [RegularExpression("^(Identity|Location)$")] string category, Me me, CancellationToken ct) =>
                    me.SendAsync("consent", HttpMethod.Delete, $"/v1/subjects/{me.Id}/consents/{purpose}/sensitive-categories/{category}", null, ct))
            .WithSummary("Withdraws the separate consent to identity or location data for a purpose.");

        api.MapPost("/codes", (RequestCode request, Me me, CancellationToken ct) =>
                me.SendAsync("vault", HttpMethod.Post, $"/v1/subjects/{me.Id}/verifications", new { request = request.Request }, ct))
            .WithSummary("Sends a one-time code to the person's verified contacts for one request (INF-6.3).");
        api.MapPost("/access", (VerifiedRequest request, Me me, CancellationToken ct) =>
                me.SendAsync("vault", HttpMethod.Post, $"/v1/subjects/{me.Id}/access", new { verificationId = request.VerificationId, code = request.Code }, ct))
            .WithSummary("What the vault holds about the person, readable.");
        api.MapPost("/export", (VerifiedRequest request, Me me, CancellationToken ct) =>
                me.SendAsync("vault", HttpMethod.Post, $"/v1/subjects/{me.Id}/export", new { verificationId = request.VerificationId, code = request.Code }, ct))
            .WithSummary("What the vault holds about the person, as machine-readable JSON to download.");
        api.MapPost("/rectification", (CorrectionRequest request, Me me, CancellationToken ct) =>
                me.SendAsync("vault", HttpMethod.Post, $"/v1/subjects/{me.Id}/rectification", new
                {
                    verificationId = request.VerificationId, code = request.Code, category = request.Category, fields = request.Fields, reason = request.Reason,
                }, ct))
            .WithSummary("Corrects fields of one category of the person's data.");
        api.MapPost("/erasure", (ErasureRequest request, Me me, CancellationToken ct) =>
                me.SendAsync("vault", HttpMethod.Post, $"/v1/subjects/{me.Id}/erasure",
                    new { verificationId = request.VerificationId, code = request.Code, reason = request.Reason }, ct))
            .WithSummary("Erases the person's data, unless a legal hold applies (the answer says which).");
        api.MapGet("/requests", (Me me, CancellationToken ct) => me.SendAsync("vault", HttpMethod.Get, $"/v1/subjects/{me.Id}/requests", null, ct))
            .WithSummary("The person's requests (access, export, correction, erasure) and where each one stands.");
        api.MapGet("/access-log", (Me me, CancellationToken ct) => me.SendAsync("vault", HttpMethod.Get, $"/v1/subjects/{me.Id}/access-log", null, ct))
            .WithSummary("Who read or acted on the person's data, when and for which purpose (IWK-2.3).");
        api.MapGet("/notices", (Me me, CancellationToken ct) => me.SendAsync("notifications", HttpMethod.Get, $"/v1/subjects/{me.Id}/notices", null, ct))
            .WithSummary("The notices the person was sent (a deletion certificate's among them), in both languages; a code's without its body.");
        api.MapGet("/bulletins", (Me me, CancellationToken ct) => me.SendAsync("notifications", HttpMethod.Get, "/v1/bulletins", null, ct))
            .WithSummary("The suite's public bulletins.");
        return app;
    }
}

/// <summary>
/// The signed-in person (their subject id from the session cookie), or the minor they act for as guardian
/// (<see cref="WardClaim"/>), and the way to call the suite for them.
/// </summary>
public sealed class Me(ClaimsPrincipal user, SuiteClient suite)
{
    /// <summary>The session's claim naming the minor a guardian acts for (checked against consent's wards when set).</summary>
    public const string WardClaim = "privacysuite:ward";

    /// <summary>The person signed in.</summary>
    public string Self { get; } = user.FindFirstValue(ClaimTypes.NameIdentifier)
        ?? throw new InvalidOperationException("No subject id in the session: the route is not behind the session cookie.");

    /// <summary>
    /// Whose consents, data, requests, log and notices the person sees and changes: their own, or their ward's. Acting for
    /// a ward, the services take the guardian as the actor: the codes of the ward's requests go to the guardian.
    /// </summary>
    public string Id => Ward ?? Self;

    public string? Ward { get; } = user.FindFirstValue(WardClaim);

    /// <summary>The guardian acting, when the person acts for a ward.</summary>
    public string? Guardian => Ward is null ? null : Self;

    public async Task<IResult> SendAsync(string service, HttpMethod method, string path, object? body, CancellationToken ct) =>
        (await suite.SendAsync(service, method, path, Id, Guardian, body, ct)).ToResult();

    /// <summary>A call as the signed-in person themselves, whoever they act for (their wards, their guardian codes).</summary>
    public async Task<ServiceAnswer> SendAsSelfAsync(string service, HttpMethod method, string path, object? body, CancellationToken ct) =>
        await suite.SendAsync(service, method, path, Self, null, body, ct);

    public static ValueTask<Me?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<Me?>(new Me(context.User, context.RequestServices.GetRequiredService<SuiteClient>()));
}
