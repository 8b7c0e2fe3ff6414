namespace Microsoft.Extensions.Hosting;

public static class RetentionExtensions
{
    /// <summary>Retention schedules, legal holds, the cancellation clock, termination plans and sweeps.</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.AddServiceDatabase<RetentionDbContext>("retentiondb");
        builder.AddMessaging<RetentionDbContext>("retention");
        return builder;
    }
}
