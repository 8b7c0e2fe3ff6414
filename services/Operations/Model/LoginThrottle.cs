using System.Collections.Concurrent;

namespace PrivacySuite.Operations.Model;

/// <summary>
/// Counts wrong passwords per client address in a sliding window: at the limit the client is answered 429 until its
/// oldest failure leaves the window, even with the right password. A successful sign-in clears the client's count.
/// </summary>
public sealed class LoginThrottle(IOptions<OperationsOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new();

    public TimeSpan? RetryAfter(string client)
    {
        if (!_failures.TryGetValue(client, out var failures))
        {
            return null;
        }

        lock (failures)
        {
            Trim(failures);
            return failures.Count >= options.Value.LoginAttempts ? failures.Peek() + options.Value.LoginWindow - time.GetUtcNow() : null;
        }
    }

    public void Failed(string client)
    {
        var failures = _failures.GetOrAdd(client, _ => new Queue<DateTimeOffset>());
        lock (failures)
        {
            Trim(failures);
            failures.Enqueue(time.GetUtcNow());
        }
    }

    public void Succeeded(string client) => _failures.TryRemove(client, out _);

    private void Trim(Queue<DateTimeOffset> failures)
    {
        var since = time.GetUtcNow() - options.Value.LoginWindow;
        while (failures.Count > 0 && failures.Peek() <= since)
        {
            failures.Dequeue();
        }
    }
}
