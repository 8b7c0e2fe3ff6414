using PrivacySuite.ServiceDefaults.Web;

namespace PrivacySuite.Operations.Extensions;

public static class OperationsExtensions
{
    public const string CookieName = "privacysuite-operations";

    public static IHostApplicationBuilder AddOperationsConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OperationsOptions>().BindConfiguration(OperationsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The console's own sign-in: a cookie, not the services' bearer tokens (ServiceDefaults registers those).
        builder.AddSessionCookie<OperationsOptions>(CookieName, o => o.SessionLifetime);

        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddHttpClient<ServiceReader>(http => http.Timeout = TimeSpan.FromSeconds(20));
        builder.Services.AddHttpClient<BrokerReader>(http => http.Timeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton<ClusterReader>();
        return builder;
    }
}
