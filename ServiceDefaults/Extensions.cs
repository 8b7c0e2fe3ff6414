using System.Net;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Scalar.AspNetCore;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Input;
using PrivacySuite.ServiceDefaults.OpenApi;
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

    /// <summary>Where the API reference page is served in development: <c>/scalar/v1</c>.</summary>
    public const string ApiReferencePath = "/scalar";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // Every clock read goes through TimeProvider, so tests can move time (retention months, regulator hours).
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Aspire's orchestrator gives a stopping resource about 15 s before it reports the stop as failed.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
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
                // The database restarted or is unreachable for a moment (a failover, a standby's restart): try again.
                _ when PrivacySuite.ServiceDefaults.Data.DatabaseFailures.IsTransient(e) => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            });
        builder.Services.AddOpenApi(o =>
        {
            o.AddSchemaTransformer(StrictJson.OnlyRequiredAsRequired);
            o.AddDocumentTransformer<ApiSecurity>();
            o.AddOperationTransformer<ApiSecurity>();
            o.AddOperationTransformer<ApiExamples>();
            o.AddDocumentTransformer<ApiExamples>();
        });
        builder.Services.AddOptions<ApiExampleOptions>();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        // The services and their peers share a data centre: a 200 ms first backoff (not the standard 2 s) keeps a read
        // that waits on the consent service, or a standby's forwarded call, within a couple of seconds of an answer.
        builder.Services.ConfigureAll<HttpStandardResilienceOptions>(o => o.Retry.Delay = TimeSpan.FromMilliseconds(200));

        builder.AddSuiteAuthentication();
        builder.Services.AddSuiteRateLimits();
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
    /// The client address of a request that came through a proxy the configuration names (<c>PrivacySuite:TrustedProxies:N</c>,
    /// IP addresses; none by default): its <c>X-Forwarded-For</c>, one hop, so that the limits per client address count
    /// the person behind the privacy centre rather than the centre. Any other caller's header is ignored.
    /// </summary>
    private static void UseTrustedProxies(this WebApplication app)
    {
        if (app.Configuration.GetSection("PrivacySuite:TrustedProxies").Get<string[]>() is not { Length: > 0 } proxies)
        {
            return;
        }

        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        foreach (var proxy in proxies)
        {
            options.KnownProxies.Add(IPAddress.Parse(proxy));
        }

        app.UseForwardedHeaders(options);
    }

    /// <summary>
    /// Error handling, authentication and the two health endpoints. Unlike the Aspire template the health endpoints are
    /// mapped in every environment: the AppHost gates start-up on them, and they reveal nothing but status words.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseTrustedProxies();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authentication, which names the caller a limit counts for (docs/security.md).
        app.UseRateLimiter();
        // After authorization: a caller who may not call a route learns nothing of what it takes.
        app.UseMiddleware<RequestGuard>();
        if (app.Services.GetService<RegionRole>() is not null)
        {
            app.UseMiddleware<StandbyForwarding>();
        }

        app.MapOpenApi().AllowAnonymous();
        if (app.Environment.IsDevelopment())
        {
            // The API reference page (docs/running.md), development only. Its script comes from the package, not a CDN.
            app.MapScalarApiReference(ApiReferencePath, o => o.WithTitle(app.Environment.ApplicationName)).AllowAnonymous();
        }

        // Probed every few seconds by the orchestrator from one address: never rate limited.
        app.MapHealthChecks(HealthEndpointPath).AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
        }).AllowAnonymous().DisableRateLimiting();
        return app;
    }

    /// <summary>
    /// Whether Aspire's <c>services__{name}__*</c> configuration names <paramref name="serviceName"/>. Service discovery
    /// passes an unknown name through to DNS, so callers that must tell "not configured" from "unreachable" ask first.
    /// </summary>
    public static bool HasServiceEndpoint(this IConfiguration configuration, string serviceName) =>
        configuration.GetSection($"services:{serviceName}").GetChildren().Any(endpoint => endpoint.GetChildren().Any(a => !string.IsNullOrWhiteSpace(a.Value)));

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
