using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace PrivacySuite.Client;

/// <summary>Options of <see cref="ConsentClientServiceCollectionExtensions.AddPrivacySuiteConsentClient"/>.</summary>
public sealed class ConsentClientOptions
{
    /// <summary>The consent service, for example <c>http://consent:8080/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The product backend's API key, sent as <c>X-Api-Key</c>.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Cache check answers locally for at most this long; null keeps no local cache.</summary>
    public TimeSpan? DecisionCacheStaleness { get; set; }

    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public int MaxRetries { get; set; } = 3;
}

/// <summary>
/// Timeout per attempt, jittered retries of idempotent calls (GET, DELETE) on transient failures, and a circuit breaker
/// that stops hammering a service that is down. POSTs are not retried: a grant whose answer was lost could be repeated.
/// </summary>
public sealed class ConsentResilienceHandler(ConsentClientOptions options) : DelegatingHandler
{
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

    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("consent-request");

    // The body is read inside the attempt: the per-attempt timeout covers it, and its token ends with the attempt.
    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        return response;
    }

    private static ResiliencePipeline<HttpResponseMessage> Build(ConsentClientOptions options)
    {
        static bool Transient(Outcome<HttpResponseMessage> outcome) => outcome switch
        {
            { Exception: HttpRequestException or TimeoutRejectedException } => true,
            { Result: { } r } => r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500,
            _ => false,
        };

        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Context.Properties.GetValue(RequestKey, null!)?.Method is { } m && (m == HttpMethod.Get || m == HttpMethod.Delete)
                    && Transient(args.Outcome)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
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
    /// <summary>Registers <see cref="ConsentClient"/> with its API key, resilience and (when asked for) a local decision cache.</summary>
    public static IHttpClientBuilder AddPrivacySuiteConsentClient(this IServiceCollection services, Action<ConsentClientOptions> configure)
    {
        var options = new ConsentClientOptions();
        configure(options);
        if (options.BaseAddress is null || string.IsNullOrWhiteSpace(options.ApiKey))
        {
            throw new ArgumentException("The consent client needs BaseAddress and ApiKey.", nameof(configure));
        }

        if (options.DecisionCacheStaleness is { } staleness)
        {
            services.AddSingleton(sp => new ConsentDecisionCache(staleness, sp.GetService<TimeProvider>()));
        }

        return services.AddHttpClient<ConsentClient>((sp, http) =>
            {
                http.BaseAddress = options.BaseAddress;
                http.DefaultRequestHeaders.Add("X-Api-Key", options.ApiKey);
                http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's per-attempt timeout rules
            })
            .AddTypedClient((http, sp) => new ConsentClient(http, sp.GetService<ConsentDecisionCache>()))
            .AddHttpMessageHandler(() => new ConsentResilienceHandler(options));
    }
}
