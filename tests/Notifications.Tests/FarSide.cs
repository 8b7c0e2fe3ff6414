using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Notifications.Tests;

/// <summary>
/// Stands in for the vault service with its exact contract: <c>POST /v1/verifications/{id}/delivery</c> answering a
/// one-time code once (<c>{ "verificationId", "code", "expiresAt", "language", "channels" }</c>, then 410 with the reason
/// <c>code-released</c>; 404 <c>unknown-verification</c> for an id it does not hold), and <c>POST /v1/subjects/contacts</c> with
/// <c>{ "subjectIds": [...] }</c> (1-500), callers with role <c>service</c> only, answering
/// <c>{ "subjects": [ { "subjectId", "status": "found" | "unknown", "language", "channels": [ { "channel", "address" } ] } ] }</c>.
/// <see cref="FailNext"/> makes it answer 503 to the next calls, as a vault that is down would.
/// </summary>
public sealed class VaultStandIn
{
    private readonly ConcurrentDictionary<string, (string? language, ContactJson[] channels)> _contacts = new();

    public int Calls;
    public int Unauthorized;

    /// <summary>Subjects asked for, over all calls.</summary>
    public int SubjectsAsked;

    /// <summary>How many of the next calls answer 503.</summary>
    public int FailNext;

    /// <summary>Whose service tokens this far side accepts.</summary>
    public DevCredentials? Credentials { get; set; }

    public void Add(string subjectId, string? language, params (string Channel, string Address)[] channels) =>
        _contacts[subjectId] = (language, channels.Select(c => new ContactJson(c.Channel, c.Address)).ToArray());

    private readonly ConcurrentDictionary<Guid, (string Code, DateTimeOffset ExpiresAt, string? Language, ContactJson[] Channels)> _codes = new();
    private readonly ConcurrentDictionary<Guid, bool> _released = new();

    /// <summary>Code fetches, over all calls.</summary>
    public int CodeCalls;

    /// <summary>
    /// A verification's code, as the vault would make it when asked. The expiry is answered as given, even when it has
    /// passed (a vault whose clock is behind): the notification service must not send it then.
    /// </summary>
    public void AddCode(Guid verificationId, string code, DateTimeOffset expiresAt, string? language, params (string Channel, string Address)[] channels) =>
        _codes[verificationId] = (code, expiresAt, language, channels.Select(c => new ContactJson(c.Channel, c.Address)).ToArray());

    private readonly ConcurrentDictionary<Guid, bool> _failThenExpire = new();

    /// <summary>The first fetch of this code answers 503, and the code expires then: a retry always meets an expired code.</summary>
    public void FailOnceThenExpire(Guid verificationId) => _failThenExpire[verificationId] = true;

    /// <summary>Marks the code handed out already, as after another fetch.</summary>
    public void Take(Guid verificationId) => _released.TryAdd(verificationId, true);

    private async Task HandleCodeAsync(HttpContext context, Guid verificationId)
    {
        Interlocked.Increment(ref CodeCalls);
        if (_failThenExpire.TryRemove(verificationId, out _) && _codes.TryGetValue(verificationId, out var failing))
        {
            _codes[verificationId] = failing with { ExpiresAt = DateTimeOffset.UtcNow };
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (!_codes.TryGetValue(verificationId, out var code) || !_released.TryAdd(verificationId, true))
        {
            context.Response.StatusCode = code.Code is null ? StatusCodes.Status404NotFound : StatusCodes.Status410Gone;
            await context.Response.WriteAsJsonAsync(new { status = context.Response.StatusCode, reason = code.Code is null ? "unknown-verification" : "code-released" },
                (JsonSerializerOptions?)null, "application/problem+json");
            return;
        }

        await context.Response.WriteAsJsonAsync(new { verificationId, code = code.Code, expiresAt = code.ExpiresAt, language = code.Language, channels = code.Channels });
    }

    public async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref Calls);
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) ||
            Credentials is null || await Credentials.ValidateServiceTokenAsync(header[7..]) is not { } claims || !claims.Roles.Contains(SuiteRoles.Service))
        {
            Interlocked.Increment(ref Unauthorized);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var path = context.Request.Path.Value ?? "";
        if (context.Request.Method == "POST" && path.StartsWith("/v1/verifications/", StringComparison.Ordinal) && path.EndsWith("/delivery", StringComparison.Ordinal) &&
            Guid.TryParse(path["/v1/verifications/".Length..^"/delivery".Length], out var verificationId))
        {
            await HandleCodeAsync(context, verificationId);
            return;
        }

        if (context.Request.Method != "POST" || context.Request.Path != "/v1/subjects/contacts")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (Interlocked.Decrement(ref FailNext) >= 0)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        Interlocked.Exchange(ref FailNext, 0);
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var ids = body.RootElement.GetProperty("subjectIds").EnumerateArray().Select(e => e.GetString()!).ToList();
        if (ids.Count is 0 or > 500)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Interlocked.Add(ref SubjectsAsked, ids.Count);
        await context.Response.WriteAsJsonAsync(new
        {
            subjects = ids.Distinct().Select(id => _contacts.TryGetValue(id, out var c)
                ? new { subjectId = id, status = "found", c.language, c.channels }
                : new { subjectId = id, status = "unknown", language = (string?)null, channels = Array.Empty<ContactJson>() }).ToList(),
        });
    }
}

/// <summary>A push or SMS gateway that records what it was asked to send, and can be told to fail or stall.</summary>
public sealed class GatewayReceiver
{
    private readonly ConcurrentQueue<HttpStatusCode> _scripted = new();

    public ConcurrentQueue<GatewayCall> Received { get; } = new();

    /// <summary>Every request first waits this long (to provoke the sender's attempt timeout).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Answers for the next requests, in order; afterwards 200.</summary>
    public void Script(params HttpStatusCode[] statuses)
    {
        foreach (var status in statuses)
        {
            _scripted.Enqueue(status);
        }
    }

    /// <summary>Answer for every request once the script is used up.</summary>
    public HttpStatusCode Default { get; set; } = HttpStatusCode.OK;

    public IReadOnlyList<GatewayCall> To(string address) => Received.Where(c => c.To == address).ToList();

    public async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method != "POST" || context.Request.Path != "/v1/messages")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var root = body.RootElement;
        var status = _scripted.TryDequeue(out var s) ? s : Default;
        Received.Enqueue(new GatewayCall(
            root.GetProperty("to").GetString()!, root.GetProperty("title").GetString()!, root.GetProperty("body").GetString()!,
            root.GetProperty("language").GetString()!, context.Request.Headers["Idempotency-Key"].ToString(), DateTimeOffset.UtcNow, (int)status));
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }

        context.Response.StatusCode = (int)status;
    }
}

public sealed record ContactJson(
    [property: System.Text.Json.Serialization.JsonPropertyName("channel")] string Channel,
    [property: System.Text.Json.Serialization.JsonPropertyName("address")] string Address);

public sealed record GatewayCall(string To, string Title, string Body, string Language, string IdempotencyKey, DateTimeOffset At, int AnsweredWith);
