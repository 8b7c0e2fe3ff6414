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
/// Stands in for the vault service (built in parallel) with its exact contract:
/// <c>GET /v1/subjects/{id}/contacts</c>, callers with role <c>service</c> only, answering
/// <c>{ "language": ..., "channels": [ { "channel": ..., "address": ... } ] }</c> or 404.
/// </summary>
public sealed class VaultStandIn
{
    private readonly ConcurrentDictionary<string, object> _contacts = new();

    public int Calls;
    public int Unauthorized;

    public byte[] SigningKey { get; set; } = [];

    public void Add(string subjectId, string? language, params (string Channel, string Address)[] channels) =>
        _contacts[subjectId] = new { language, channels = channels.Select(c => new { channel = c.Channel, address = c.Address }).ToArray() };

    public async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref Calls);
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) ||
            BearerTokens.Validate(SigningKey, header[7..], DateTimeOffset.UtcNow) is not { } claims || !claims.Roles.Contains(SuiteRoles.Service))
        {
            Interlocked.Increment(ref Unauthorized);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (context.Request.Method != "GET" || segments is not ["v1", "subjects", var subject, "contacts"] ||
            !_contacts.TryGetValue(Uri.UnescapeDataString(subject), out var contacts))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        await context.Response.WriteAsJsonAsync(contacts);
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

public sealed record GatewayCall(string To, string Title, string Body, string Language, string IdempotencyKey, DateTimeOffset At, int AnsweredWith);
