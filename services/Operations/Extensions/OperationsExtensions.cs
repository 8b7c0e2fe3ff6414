using Microsoft.AspNetCore.Authentication.Cookies;

namespace PrivacySuite.Operations.Extensions;

public static class OperationsExtensions
{
    public const string CookieName = "privacysuite-operations";

    public static IHostApplicationBuilder AddOperationsConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OperationsOptions>().BindConfiguration(OperationsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The console's own sign-in: a cookie, not the services' bearer tokens (ServiceDefaults registers those; the
        // cookie becomes the default scheme here, so the fallback policy asks for it on every route).
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, _ => { });
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<OperationsOptions>>((cookie, options) =>
            {
                cookie.Cookie.Name = CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = options.Value.SessionLifetime;
                cookie.SlidingExpiration = true;
                // An API answers 401/403 (as problem details, by the status-code pages), never a redirect to a login page.
                cookie.Events.OnRedirectToLogin = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                };
                cookie.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            });

        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddHttpClient<ServiceReader>(http => http.Timeout = TimeSpan.FromSeconds(20));
        builder.Services.AddHttpClient<BrokerReader>(http => http.Timeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton<ClusterReader>();
        return builder;
    }

    /// <summary>
    /// The page and its scripts, served before authentication (the sign-in form is part of them), with a strict CSP:
    /// nothing but the console's own files, no inline script or style, no framing.
    /// </summary>
    public static WebApplication UseConsolePages(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
                                            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            return next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        return app;
    }
}
