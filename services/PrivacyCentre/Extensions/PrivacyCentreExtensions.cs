using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Http.Resilience;
using PrivacySuite.Client;
using PrivacySuite.ServiceDefaults.Web;

namespace PrivacySuite.PrivacyCentre.Extensions;

public static class PrivacyCentreExtensions
{
    public const string CookieName = "privacysuite-centre";

    /// <summary>Rate-limit policy of the routes without a session (sign-in, receipts): per client address (the services limit as well).</summary>
    public const string AnonymousLimit = "centre-anonymous";

    public static IHostApplicationBuilder AddPrivacyCentre(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PrivacyCentreOptions>().BindConfiguration(PrivacyCentreOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => ServiceDefaults.Auth.SuiteTokens.ReadPrivateKey(o.SigningKey) is not null,
                "PrivacySuite:PrivacyCentre:SigningKey must be the base64 PKCS#8 of a P-256 (ES256) private key.")
            .ValidateOnStart();
        builder.Services.AddValidation();

        // The person's session: a cookie holding their subject id (encrypted and signed by ASP.NET data protection), not
        // a token; each call to a service gets a token of its own, minted for five minutes (SuiteClient).
        builder.AddSessionCookie<PrivacyCentreOptions>(CookieName, o => o.SessionLifetime);

        builder.Services.Configure<RateLimiterOptions>(o => o.AddPolicy(AnonymousLimit, http =>
        {
            var perMinute = http.RequestServices.GetRequiredService<IOptions<PrivacyCentreOptions>>().Value.AnonymousRequestsPerMinute;
            return RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
        }));

        // One named client per service: the primary region's first; a connection that cannot open moves to the standby,
        // which serves reads and passes writes on to the primary (a write never runs twice: it never reached a service).
        foreach (var service in PrivacySuite.Contracts.SuiteServices.CalledByPrivacyCentre)
        {
            builder.Services.AddHttpClient(service, (sp, http) =>
                {
                    http.BaseAddress = Regions(sp, service)[0];
                    http.Timeout = TimeSpan.FromSeconds(30);
                })
                .AddHttpMessageHandler(sp => new RegionFallbackHandler(Regions(sp, service), RegionFallbackMode.NeverConnected));
            // Reads are retried; a write never is: a grant, an erasure or a spent sign-in code sent twice would answer the
            // person a refusal for what was done.
            builder.Services.Configure<HttpStandardResilienceOptions>($"{service}-standard", o => o.Retry.DisableForUnsafeHttpMethods());
        }

        builder.Services.AddSingleton<SuiteClient>();
        return builder;
    }

    private static IReadOnlyList<Uri> Regions(IServiceProvider services, string service) =>
        SuiteClient.RegionsOf(service, services.GetRequiredService<IConfiguration>(), services.GetRequiredService<IOptions<PrivacyCentreOptions>>().Value);
}
