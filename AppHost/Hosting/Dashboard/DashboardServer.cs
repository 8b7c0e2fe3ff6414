using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivacySuite.AppHost.Hosting.Model;

namespace PrivacySuite.AppHost.Hosting.Dashboard;

/// <summary>
/// The operator dashboard and the OTLP endpoint, on one Kestrel server inside the AppHost (as Aspire's dashboard
/// serves both). Each part maps its own routes: the page and its assets, the resources API, the OTLP receiver;
/// further views add a Map...() here and a view of their own in wwwroot/views/.
/// </summary>
public sealed class DashboardServer(DistributedApplication application, DashboardSettings settings) : IAsyncDisposable
{
    private WebApplication? _app;

    public OtlpReceiver Otlp { get; } = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "PrivacySuite.AppHost.Dashboard" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(settings.Address, settings.Port);
            kestrel.Limits.MaxRequestBodySize = OtlpReceiver.MaxBodyBytes;
        });
        builder.Services.AddProblemDetails();
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        });
        builder.Services.AddSingleton(application);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(Otlp);
        builder.Services.AddSingleton<DashboardAuth>();

        var app = builder.Build();
        app.UseStatusCodePages();
        app.MapDashboardPages();
        app.MapLogin();
        app.MapResourcesApi();
        app.MapRegionsApi();
        app.MapTelemetryApi();
        app.MapOperationsApi();
        app.MapOtlpReceiver();

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new HostingException($"The dashboard cannot listen on {settings.Url} ({e.Message}): choose another port with --dashboard-port N.");
        }

        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }
}

/// <summary>The browser token guards the dashboard: a cookie after /login?t=…, or an Authorization: Bearer header.</summary>
public sealed class DashboardAuth(DashboardSettings settings)
{
    public const string CookieName = "privacysuite-dashboard";

    public bool IsValidToken(string? token) =>
        token is { Length: > 0 and <= 256 } &&
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(settings.BrowserToken));

    public bool IsAuthenticated(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var cookie) && IsValidToken(cookie))
        {
            return true;
        }

        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) && IsValidToken(header["Bearer ".Length..].Trim());
    }

    public static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);

    public void SignIn(HttpContext context) =>
        context.Response.Cookies.Append(CookieName, settings.BrowserToken, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
            // Survives a browser restart; worthless after this run anyway, since the token changes with every start.
            MaxAge = TimeSpan.FromDays(1),
        });
}
