using Microsoft.AspNetCore.Authentication.Cookies;

namespace PrivacySuite.ServiceDefaults.Web;

/// <summary>
/// What the suite's two browser apps share (the operations console and the privacy centre): a session cookie that an
/// API answers 401 for instead of redirecting, and static pages served under a strict content security policy.
/// </summary>
public static class BrowserApps
{
    /// <summary>
    /// Makes a session cookie the default scheme, so the fallback policy asks for it on every route that does not allow
    /// anonymous callers: HttpOnly, SameSite=Strict, sliding over <paramref name="lifetime"/> of the options
    /// <typeparamref name="TOptions"/>; a missing or expired one is 401 (problem details by the status-code pages).
    /// </summary>
    public static IHostApplicationBuilder AddSessionCookie<TOptions>(this IHostApplicationBuilder builder, string cookieName, Func<TOptions, TimeSpan> lifetime)
        where TOptions : class
    {
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, _ => { });
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<TOptions>>((cookie, options) =>
            {
                cookie.Cookie.Name = cookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = lifetime(options.Value);
                cookie.SlidingExpiration = true;
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
        return builder;
    }

    /// <summary>
    /// The app's pages and scripts (wwwroot), served before authentication (the sign-in form is part of them), with a
    /// strict CSP: nothing but the app's own files, no inline script or style, no framing, nothing cached.
    /// </summary>
    public static WebApplication UseOwnPages(this WebApplication app)
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
