using System.Threading.RateLimiting;
using Polly;
using Polly.Retry;

namespace PrivacySuite.Notifications.Channels;

/// <summary>
/// Sends on a channel under that channel's rate limit, retrying with exponential backoff (Polly) only what the channel
/// clearly did not take. A send that may have gone out is never retried, which keeps each channel at most once.
/// </summary>
public sealed class ChannelRouter : IDisposable
{
    private readonly Dictionary<string, IChannelSender> _senders;
    private readonly Dictionary<string, RateLimiter> _limits;
    private readonly ResiliencePipeline<SendOutcome> _retry;
    private readonly TimeSpan _attemptTimeout;
    private readonly TimeProvider _time;

    public ChannelRouter(IEnumerable<IChannelSender> senders, IOptions<NotificationsOptions> options, TimeProvider time)
    {
        var settings = options.Value;
        _senders = senders.ToDictionary(s => s.Channel, StringComparer.Ordinal);
        _limits = _senders.Keys.ToDictionary(c => c, c => (RateLimiter)new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, settings.RatePerSecond.GetValueOrDefault(c, 100) / 10),
            TokensPerPeriod = Math.Max(1, settings.RatePerSecond.GetValueOrDefault(c, 100) / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        }));
        _attemptTimeout = settings.AttemptTimeout;
        _time = time;
        _retry = new ResiliencePipelineBuilder<SendOutcome> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<SendOutcome>
            {
                ShouldHandle = new PredicateBuilder<SendOutcome>().HandleResult(SendOutcome.Unavailable),
                MaxRetryAttempts = Math.Max(1, settings.SendRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
            })
            .Build();
    }

    public bool Knows(string channel) => _senders.ContainsKey(channel);

    public async Task<SendOutcome> SendAsync(string channel, OutgoingMessage message, CancellationToken cancellationToken)
    {
        var sender = _senders[channel];
        return await _retry.ExecuteAsync(
            async token =>
            {
                using var lease = await _limits[channel].AcquireAsync(1, token);
                // Checked before every attempt, retries included, after any wait for the channel's rate.
                if (message.NotAfter is { } notAfter && _time.GetUtcNow() >= notAfter)
                {
                    return SendOutcome.Expired;
                }

                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
                attempt.CancelAfter(_attemptTimeout);
                try
                {
                    return await sender.SendAsync(message, attempt.Token);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    // Our attempt timeout: the channel may have taken the message meanwhile.
                    return SendOutcome.InDoubt;
                }
            },
            cancellationToken);
    }

    public void Dispose()
    {
        foreach (var limit in _limits.Values)
        {
            limit.Dispose();
        }
    }
}
