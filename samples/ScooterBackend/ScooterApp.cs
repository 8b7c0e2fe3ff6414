using System.Collections.Concurrent;
using System.Net.Mail;
using PrivacySuite.Client;

namespace ScooterBackend;

/// <summary>A sign-up: the rider's e-mail address and the language notices go out in.</summary>
public sealed record SignUp(string? Email, string? Language);

public sealed record SignedUp(string RiderId);

/// <summary>A ride that ended, as the app reports it: how long it took, in minutes, and its route when the rider shares routes.</summary>
public sealed record RideEnded(int? Minutes, string? Route = null);

public sealed record LastRoute(string RiderId, string Route);

public sealed record ReceiptSent(string RiderId, string SentTo);

public sealed record Recommendation(string RiderId, string LastRideMinutes);

public sealed record Started(Guid VerificationId);

/// <summary>A code the rider typed in, for the verification it answers.</summary>
public sealed record CodeEntered(Guid VerificationId, string? Code);

/// <summary>What the backend keeps of a rider: tokens only; the values live in the vault.</summary>
public sealed record Rider(string RiderId, string EmailToken, string? UsageToken, string? RouteToken = null);

/// <summary>
/// The scooter app's backend, a product backend of PrivacySuite: it registers riders and their consent, keeps their
/// contact data in the vault (and only tokens itself), checks consent before it uses anything, reads values for a named
/// purpose, and answers a rider's request for an export of their data. Everything through <c>PrivacySuite.Client</c>.
/// </summary>
public static class ScooterApp
{
    public const string PolicyId = "iwalk-scooter";
    public const string PolicyVersion = "1.0";

    /// <summary>Essential: sending receipts and running rides.</summary>
    public const string ServicePurpose = "iwalk.service.provide";

    /// <summary>Optional: recommendations from how the rider rides.</summary>
    public const string PersonalisationPurpose = "iwalk.personalisation";

    /// <summary>The app, configured from <c>PrivacySuite:*</c> (appsettings, environment, or <paramref name="settings"/> for tests).</summary>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var suite = builder.Configuration.GetSection("PrivacySuite");
        builder.Services.AddProblemDetails();
        builder.Services.AddPrivacySuiteClient(o =>
        {
            o.ApiKey = suite["ApiKey"] ?? "";
            o.Consent.BaseAddress = Address(suite, "Consent:BaseAddress");
            o.Consent.StandbyAddress = Address(suite, "Consent:StandbyAddress");
            // Answers at most 2 s old; a withdrawal through this client clears its entry at once.
            o.Consent.DecisionCacheStaleness = TimeSpan.FromSeconds(2);
            o.Vault.BaseAddress = Address(suite, "Vault:BaseAddress");
            o.Vault.StandbyAddress = Address(suite, "Vault:StandbyAddress");
            // The second factor of route reads (location is sensitive): the API key's name and the key it signs step-up tokens with.
            o.Vault.Caller = suite["Vault:Caller"];
            o.Vault.StepUpKey = suite["Vault:StepUpKey"];
            // How long one call may take (the SDK's default is 2 s): a suite just started on a small machine answers its
            // first calls slower while it compiles them.
            if (suite["AttemptTimeout"] is { Length: > 0 } attemptTimeout)
            {
                o.Consent.AttemptTimeout = o.Vault.AttemptTimeout = TimeSpan.Parse(attemptTimeout, System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        builder.Services.AddSingleton<ConcurrentDictionary<string, Rider>>();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapRiders();
        return app;
    }

    private static Uri? Address(IConfiguration suite, string key) => suite[key] is { Length: > 0 } value ? new Uri(value) : null;

    private static IEndpointRouteBuilder MapRiders(this IEndpointRouteBuilder app)
    {
        var riders = app.MapGroup("/riders").AddEndpointFilter(RefusalsAsProblems);
        riders.MapPost("/", SignUpAsync);
        riders.MapPost("/{riderId}/consents/{purpose}", GrantAsync);
        riders.MapDelete("/{riderId}/consents/{purpose}", WithdrawAsync);
        riders.MapPost("/{riderId}/rides", RideEndedAsync);
        riders.MapPost("/{riderId}/route-sharing", ShareRoutesAsync);
        riders.MapDelete("/{riderId}/route-sharing", StopSharingRoutesAsync);
        riders.MapGet("/{riderId}/rides/last/route", LastRouteAsync);
        riders.MapPost("/{riderId}/receipts", SendReceiptAsync);
        riders.MapGet("/{riderId}/recommendations", RecommendAsync);
        riders.MapPost("/{riderId}/email-verifications", StartEmailVerificationAsync);
        riders.MapPost("/{riderId}/verified-email", VerifyEmailAsync);
        riders.MapPost("/{riderId}/export-requests", StartExportAsync);
        riders.MapPost("/{riderId}/exports", ExportAsync);
        return app;
    }

    /// <summary>
    /// Registers the rider with the consent service, records the essential consent, and stores the e-mail address in the
    /// vault. No name: identity data is sensitive (IWK-2.2). Routes (location, sensitive too) are kept only once the rider
    /// agrees to share them, on a screen of their own (<see cref="ShareRoutesAsync"/>).
    /// </summary>
    private static async Task<IResult> SignUpAsync(SignUp body, ConsentClient consent, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.Email is null || body.Email.Length > 254 || !MailAddress.TryCreate(body.Email, out _))
        {
            errors["email"] = ["An e-mail address."];
        }

        if (body.Language is not ("zh-CN" or "en"))
        {
            errors["language"] = ["zh-CN or en."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var riderId = $"rider-{Guid.NewGuid():N}";
        await consent.RegisterSubjectAsync(new RegisterSubject(riderId, PolicyId, AgeBand: "18-plus"), ct);
        await consent.GrantConsentAsync(riderId, new GrantConsent(ServicePurpose, PolicyVersion, "app-sign-up"), ct);
        // A key of our own, from the rider id: a sign-up retried after a crash stores once.
        var contact = await vault.StoreAsync(riderId, new StoreData("contact", "provided", "consent",
            new Dictionary<string, string> { ["email"] = body.Email!, ["language"] = body.Language! }), $"{riderId}:sign-up:contact", ct);
        riders[riderId] = new Rider(riderId, contact.Tokens["email"], null);
        return TypedResults.Created($"/riders/{riderId}", new SignedUp(riderId));
    }

    private static async Task<IResult> GrantAsync(string riderId, string purpose, ConsentClient consent, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.ContainsKey(riderId))
        {
            return UnknownRider();
        }

        await consent.GrantConsentAsync(riderId, new GrantConsent(purpose, PolicyVersion, "app-settings"), ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> WithdrawAsync(string riderId, string purpose, ConsentClient consent, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.ContainsKey(riderId))
        {
            return UnknownRider();
        }

        await consent.WithdrawConsentAsync(riderId, purpose, ct);
        return TypedResults.NoContent();
    }

    /// <summary>Keeps the ride's length in the vault (usage data), for the service and, if the rider agrees, for recommendations.</summary>
    private static async Task<IResult> RideEndedAsync(string riderId, RideEnded body, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.TryGetValue(riderId, out var rider))
        {
            return UnknownRider();
        }

        if (body.Minutes is not (> 0 and <= 24 * 60))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["minutes"] = ["1-1440 minutes."] });
        }

        if (body.Route is { Length: 0 or > 2000 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["route"] = ["The ride's route, 1-2000 characters, or none."] });
        }

        var stored = await vault.StoreAsync(riderId, new StoreData("usage", "collected", "consent",
            new Dictionary<string, string> { ["last_ride_minutes"] = body.Minutes.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) }), cancellationToken: ct);
        rider = rider with { UsageToken = stored.Tokens["last_ride_minutes"] };
        if (body.Route is not null)
        {
            var route = await vault.StoreAsync(riderId, new StoreData("location", "collected", "consent",
                new Dictionary<string, string> { ["last_route"] = body.Route }), cancellationToken: ct);
            rider = rider with { RouteToken = route.Tokens["last_route"] };
        }

        riders[riderId] = rider;
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The rider agrees, on a screen of its own, that the app keeps and shows their routes: the service's consent is given
    /// again with the separate consent to location (PIPL Art. 29).
    /// </summary>
    private static async Task<IResult> ShareRoutesAsync(string riderId, ConsentClient consent, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.ContainsKey(riderId))
        {
            return UnknownRider();
        }

        await consent.GrantConsentAsync(riderId, new GrantConsent(ServicePurpose, PolicyVersion, "app-route-sharing-screen", SensitiveCategories: ["Location"]), ct);
        return TypedResults.NoContent();
    }

    /// <summary>The rider stops sharing routes: the separate consent ends, the service goes on.</summary>
    private static async Task<IResult> StopSharingRoutesAsync(string riderId, ConsentClient consent, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.ContainsKey(riderId))
        {
            return UnknownRider();
        }

        await consent.WithdrawSensitiveConsentAsync(riderId, ServicePurpose, "location", ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The last ride's route on the rider's map: a read of location for the service's own purpose, which the vault allows
    /// with the rider's separate consent and this backend's step-up token (the client signs it).
    /// </summary>
    private static async Task<IResult> LastRouteAsync(string riderId, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.TryGetValue(riderId, out var rider))
        {
            return UnknownRider();
        }

        if (rider.RouteToken is null)
        {
            return TypedResults.Problem(statusCode: 404, title: "No route yet", detail: "Routes are kept once the rider shares them and rides.");
        }

        var read = await vault.DetokenizeAsync([rider.RouteToken], ServicePurpose, cancellationToken: ct);
        return TypedResults.Ok(new LastRoute(riderId, read.Values.Single().Value));
    }

    /// <summary>Sends a ride receipt: checks the service purpose, then reads the e-mail address for it.</summary>
    private static async Task<IResult> SendReceiptAsync(string riderId, ConsentClient consent, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.TryGetValue(riderId, out var rider))
        {
            return UnknownRider();
        }

        var check = await consent.CheckAsync(riderId, ServicePurpose, ct);
        if (!check.Allowed)
        {
            return NotAllowed(ServicePurpose, check.Reason);
        }

        var read = await vault.DetokenizeAsync([rider.EmailToken], ServicePurpose, cancellationToken: ct);
        // A real backend sends the mail here; the sample says where it would go.
        return TypedResults.Ok(new ReceiptSent(riderId, read.Values.Single().Value));
    }

    /// <summary>Recommendations from the rider's rides: only with the rider's consent to personalisation.</summary>
    private static async Task<IResult> RecommendAsync(string riderId, ConsentClient consent, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.TryGetValue(riderId, out var rider))
        {
            return UnknownRider();
        }

        var check = await consent.CheckAsync(riderId, PersonalisationPurpose, ct);
        if (!check.Allowed)
        {
            return NotAllowed(PersonalisationPurpose, check.Reason);
        }

        if (rider.UsageToken is null)
        {
            return TypedResults.Problem(statusCode: 404, title: "No rides yet", detail: "Recommendations follow the rider's rides.");
        }

        var read = await vault.DetokenizeAsync([rider.UsageToken], PersonalisationPurpose, cancellationToken: ct);
        return TypedResults.Ok(new Recommendation(riderId, read.Values.Single().Value));
    }

    /// <summary>Proves the rider's e-mail address: the vault mails it a code. Rights requests' codes go only to a proven contact.</summary>
    private static async Task<IResult> StartEmailVerificationAsync(string riderId, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct) =>
        !riders.ContainsKey(riderId)
            ? UnknownRider()
            : TypedResults.Accepted((string?)null, new Started((await vault.StartContactVerificationAsync(riderId, "email", ct)).VerificationId));

    private static async Task<IResult> VerifyEmailAsync(string riderId, CodeEntered body, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.ContainsKey(riderId))
        {
            return UnknownRider();
        }

        if (body.Code is not { Length: > 0 and <= 16 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = ["The code from the mail."] });
        }

        await vault.VerifyContactAsync(riderId, body.VerificationId, body.Code, cancellationToken: ct);
        return TypedResults.NoContent();
    }

    /// <summary>The rider asks for their data: the vault mails a one-time code to the rider's verified contact.</summary>
    private static async Task<IResult> StartExportAsync(string riderId, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct) =>
        !riders.ContainsKey(riderId)
            ? UnknownRider()
            : TypedResults.Accepted((string?)null, new Started((await vault.StartRequestAsync(riderId, "export", ct)).VerificationId));

    /// <summary>With the code the rider typed in, the export itself (machine-readable JSON of every value the vault holds).</summary>
    private static async Task<IResult> ExportAsync(string riderId, CodeEntered body, VaultClient vault, ConcurrentDictionary<string, Rider> riders, CancellationToken ct)
    {
        if (!riders.ContainsKey(riderId))
        {
            return UnknownRider();
        }

        if (body.Code is not { Length: > 0 and <= 16 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["code"] = ["The code from the mail."] });
        }

        return TypedResults.Ok(await vault.ExportAsync(riderId, body.VerificationId, body.Code, ct));
    }

    private static IResult UnknownRider() => TypedResults.Problem(statusCode: 404, title: "Unknown rider", extensions: new Dictionary<string, object?> { ["reason"] = "unknown-rider" });

    private static IResult NotAllowed(string purpose, string reason) => TypedResults.Problem(statusCode: 403, title: "Not allowed",
        detail: $"The rider has not agreed to {purpose}.", extensions: new Dictionary<string, object?> { ["reason"] = reason });

    /// <summary>A refusal from PrivacySuite is passed on as the rider's app needs it: its status, reason and detail (never personal data).</summary>
    private static async ValueTask<object?> RefusalsAsProblems(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (PrivacySuiteApiException e)
        {
            return TypedResults.Problem(statusCode: e.Status, title: e.Title, detail: e.Detail,
                extensions: new Dictionary<string, object?> { ["reason"] = e.Reason, ["service"] = e.Service });
        }
    }
}
