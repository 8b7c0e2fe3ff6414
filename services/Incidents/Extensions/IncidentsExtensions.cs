namespace Microsoft.Extensions.Hosting;

public static class IncidentsExtensions
{
    /// <summary>The incident workflow, grading, the regulator clock and report, and notice plans.</summary>
    public static IHostApplicationBuilder AddIncidents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.AddServiceDatabase<IncidentsDbContext>("incidentsdb");
        builder.AddMessaging<IncidentsDbContext>("incidents");
        return builder;
    }
}
