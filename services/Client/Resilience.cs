using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace PrivacySuite.Client;

/// <summary>Where a service is and how to call it: what every client of the SDK shares.</summary>
public abstract class ServiceClientOptions
{
    /// <summary>The service in the primary region (Beijing), for example <c>http://consent:8080/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>
    /// The same service in the standby region (Guangzhou), or null. A read (GET) that fails on the primary with a
    /// connection error or a 5xx is sent here; writes never are (<see cref="RegionFallbackMode.ReadsOnFailure"/>).
    /// </summary>
    public Uri? StandbyAddress { get; set; }

    /// <summary>The product backend's API key, sent as <c>X-Api-Key</c>.</summary>
    public string ApiKey { get; set; } = "";

    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public int MaxRetries { get; set; } = 3;

    /// <summary>Hears of each read sent to the standby region (to log or count it); null ignores them.</summary>
    public Action<RegionFallback>? OnRegionFallback { get; set; }

    internal IReadOnlyList<Uri> Regions => StandbyAddress is null ? [BaseAddress!] : [BaseAddress!, StandbyAddress];
}

/// <summary>Options of <see cref="ConsentClientServiceCollectionExtensions.AddPrivacySuiteConsentClient"/>.</summary>
public sealed class ConsentClientOptions : ServiceClientOptions
{
    /// <summary>Cache check answers locally for at most this long; null keeps no local cache.</summary>
    public TimeSpan? DecisionCacheStaleness { get; set; }
}

/// <summary>
/// Timeout per attempt, jittered retries of calls that are safe to repeat on transient failures, and a circuit breaker
/// that stops hammering a service that is down. Safe to repeat: GET, HEAD and DELETE (a withdrawal withdrawn twice is
/// withdrawn), and any write that carries an <c>Idempotency-Key</c> (the service answers a repeat with the first answer).
/// Other writes are never retried: a grant or a code redemption whose answer was lost could be done twice.
/// </summary>
public sealed class PrivacySuiteResilienceHandler(ServiceClientOptions options) : DelegatingHandler
{
    /// <summary>The header that makes a write safe to repeat.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = Build(options);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, self) => await self.SendOnceAsync(ctx.Properties.GetValue(RequestKey, null!), ctx.CancellationToken),
                context, this);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("privacysuite-request");

    /// <summary>Whether <paramref name="request"/> may be sent again after a transient failure.</summary>
    public static bool SafeToRepeat(HttpRequestMessage request) =>
        request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Delete ||
        request.Headers.Contains(IdempotencyKeyHeader);

    // The body is read inside the attempt: the per-attempt timeout covers it, and its token ends with the attempt.
    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        return response;
    }

    private static ResiliencePipeline<HttpResponseMessage> Build(ServiceClientOptions options)
    {
        static bool Transient(Outcome<HttpResponseMessage> outcome) => outcome switch
        {
            { Exception: HttpRequestException or TimeoutRejectedException } => true,
            { Result: { } r } => r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500,
            _ => false,
        };

        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            pipeline.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(RequestKey, null!) is { } request && SafeToRepeat(request) && Transient(args.Outcome)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            });
        }

        return pipeline
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = 0.5,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(5),
                ShouldHandle = args => ValueTask.FromResult(Transient(args.Outcome)),
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }
}

public static class ConsentClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ConsentClient"/> with its API key, resilience, the standby region for reads (when
    /// <see cref="ServiceClientOptions.StandbyAddress"/> is set) and (when asked for) a local decision cache.
    /// </summary>
    public static IHttpClientBuilder AddPrivacySuiteConsentClient(this IServiceCollection services, Action<ConsentClientOptions> configure)
    {
        var options = new ConsentClientOptions();
        configure(options);
        ServiceClients.Check(options, "consent");
        if (options.DecisionCacheStaleness is { } staleness)
        {
            services.AddSingleton(sp => new ConsentDecisionCache(staleness, sp.GetService<TimeProvider>()));
        }

        return services.AddHttpClient<ConsentClient>((sp, http) => ServiceClients.Configure(http, options))
            .AddTypedClient((http, sp) => new ConsentClient(http, sp.GetService<ConsentDecisionCache>()))
            .AddServiceHandlers(options);
    }
}

internal static class ServiceClients
{
    public static void Check(ServiceClientOptions options, string service)
    {
        if (options.BaseAddress is null || string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException($"The {service} client needs BaseAddress and ApiKey.", nameof(options));
        }
    }

    public static void Configure(HttpClient http, ServiceClientOptions options)
    {
        http.BaseAddress = options.BaseAddress;
        http.DefaultRequestHeaders.Add("X-Api-Key", options.ApiKey);
        http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's per-attempt timeout rules
    }

    /// <summary>Retries outside, the region fallback inside: each attempt of a read tries the primary, then the standby.</summary>
    public static IHttpClientBuilder AddServiceHandlers(this IHttpClientBuilder builder, ServiceClientOptions options)
    {
        builder.AddHttpMessageHandler(() => new PrivacySuiteResilienceHandler(options));
        if (options.StandbyAddress is not null)
        {
            builder.AddHttpMessageHandler(() => new RegionFallbackHandler(options.Regions, RegionFallbackMode.ReadsOnFailure, options.OnRegionFallback));
        }

        return builder;
    }
}
