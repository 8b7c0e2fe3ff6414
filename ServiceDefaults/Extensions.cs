using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Http;
using PrivacySuite.ServiceDefaults.Input;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every PrivacySuite service shares, in the shape of Aspire's ServiceDefaults template:
/// telemetry, health, problem details, resilient HTTP with service discovery, and authentication.
/// Messaging and the database come from <c>AddServiceDatabase</c> and <c>AddMessaging</c>, which each service calls with its own types.
/// Each service also calls <c>AddValidation()</c> itself: the validation source generator intercepts that call in the
/// assembly that makes it, and only sees that assembly's request types.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Every clock read goes through TimeProvider, so tests can move time (retention months, regulator hours).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = RequestProblems.Describe);
        builder.Services.AddStrictJson();

        // A client's malformed request is the client's error in every environment, never a 500.
        builder.Services.Configure<ExceptionHandlerOptions>(o =>
            o.StatusCodeSelector = e => e switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                _ when RequestProblems.IsClientError(e) => StatusCodes.Status400BadRequest,
                // A write that reached a standby's read-only replica (a route not marked as one): unavailable here, not broken.
                _ when IsReadOnlyReplica(e) => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            });
        builder.Services.AddOpenApi(o => o.AddSchemaTransformer(StrictJson.OnlyRequiredAsRequired));

        builder.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilience());

        builder.AddSuiteAuthentication();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Error handling, authentication and the two health endpoints. Unlike the Aspire template the health endpoints are
    /// mapped in every environment: the AppHost gates start-up on them, and they reveal nothing but status words.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorization: a caller who may not call a route learns nothing of what it takes.
        app.UseMiddleware<RequestGuard>();
        if (app.Services.GetService<RegionRole>() is not null)
        {
            app.UseMiddleware<StandbyForwarding>();
        }

        app.MapOpenApi().AllowAnonymous();
        app.MapHealthChecks(HealthEndpointPath).AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
        }).AllowAnonymous();
        return app;
    }

    private static bool IsReadOnlyReplica(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.ReadOnlySqlTransaction })
            {
                return true;
            }
        }

        return false;
    }
}
