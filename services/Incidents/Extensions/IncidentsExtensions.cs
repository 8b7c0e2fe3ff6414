using PrivacySuite.ServiceDefaults.OpenApi;
using PrivacySuite.Incidents;
using PrivacySuite.Incidents.IntegrationEvents;
using PrivacySuite.Incidents.Workers;
using PrivacySuite.ServiceDefaults.Auth;

namespace Microsoft.Extensions.Hosting;

public static class IncidentsExtensions
{
    /// <summary>The incident workflow, grading, the regulator clock and report, and notice plans.</summary>
    public static IHostApplicationBuilder AddIncidents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.Services.AddApiExamples(PrivacySuite.Incidents.Apis.OpenApiExamples.ByOperation);
        builder.AddServiceDatabase<IncidentsDbContext>("incidentsdb");
        builder.AddMessaging<IncidentsDbContext>("incidents", bus =>
        {
            bus.AddInboxBatchConsumer<CountDeliveredNoticesOnNoticesDelivered>();
            bus.AddConsumer<RequestBulletinOnNoticeFailed>();
        });
        builder.Services.AddOptions<IncidentsOptions>()
            .BindConfiguration(IncidentsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddHttpClient<VaultClient>(c => c.BaseAddress = new Uri("http://vault")).AddServiceIdentity();
        builder.Services.AddSingleton<CampaignSignal>();
        builder.Services.AddScoped<IncidentResponse>();
        builder.Services.AddScoped<IStandbyRehearsal<IncidentsDbContext>, IncidentRehearsal>();
        builder.Services.AddHostedService<NoticeCampaignPlanner>();
        builder.Services.AddHostedService<RegulatorClockWatcher>();
        return builder;
    }
}
