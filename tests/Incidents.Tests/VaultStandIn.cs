using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Incidents.Tests;

/// <summary>
/// Stands in for the vault where a test needs it to fail or misbehave on cue (a 503 mid-campaign, overlapping pages),
/// with exactly its contract:
/// <c>GET /v1/subjects/affected?categories=..&amp;from=ISO&amp;to=ISO&amp;after=CURSOR&amp;limit=N</c> (role <c>service</c>)
/// answers <c>{ subjectIds, next }</c>. Its population is <c>subj-0000000</c> onwards; with <see cref="OverlapPages"/>
/// each page repeats the previous page's last subject, as a vault paging over a changing table might.
/// </summary>
public sealed class VaultStandIn(DevCredentials credentials, TimeProvider clock) : IAsyncDisposable
{
    private WebApplication? _app;

    public int Population { get; set; }

    public bool OverlapPages { get; set; }

    public ConcurrentQueue<(string Categories, DateTimeOffset From, DateTimeOffset To)> Queries { get; } = new();

    public int PagesServed;

    /// <summary>The page after this cursor answers 503 <see cref="FailuresLeft"/> times: a vault that goes away mid-campaign.</summary>
    public string? FailAtCursor { get; set; }

    public int FailuresLeft;

    public string Address { get; private set; } = "";

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/v1/subjects/affected", async (HttpContext http, string categories, string from, string to, int limit, string? after) =>
        {
            var header = http.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.Ordinal) ||
                await credentials.ValidateServiceTokenAsync(header["Bearer ".Length..], clock) is not { } claims ||
                !claims.Roles.Contains(SuiteRoles.Service))
            {
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }

            if (limit is < 1 or > 5_000)
            {
                return Results.Problem(statusCode: 400, detail: "limit must be 1 to 5000");
            }

            var window = (categories, DateTimeOffset.Parse(from, CultureInfo.InvariantCulture), DateTimeOffset.Parse(to, CultureInfo.InvariantCulture));
            if (after is null)
            {
                Queries.Enqueue(window);
            }

            if (after is not null && after == FailAtCursor && Interlocked.Decrement(ref FailuresLeft) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            var start = after is null ? 0 : int.Parse(after, CultureInfo.InvariantCulture);
            var first = OverlapPages && start > 0 ? start - 1 : start;
            var end = Math.Min(Population, start + limit);
            var ids = new string[Math.Max(0, end - first)];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = Subject(first + i);
            }

            Interlocked.Increment(ref PagesServed);
            return Results.Json(new { subjectIds = ids, next = end < Population ? end.ToString(CultureInfo.InvariantCulture) : null });
        });
        await _app.StartAsync();
        Address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
    }

    public static string Subject(int index) => $"subj-{index:D7}";

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
