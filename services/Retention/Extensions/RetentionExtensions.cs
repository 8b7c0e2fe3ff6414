using PrivacySuite.Retention;
using PrivacySuite.Retention.Apis;
using PrivacySuite.Retention.IntegrationEvents;
using PrivacySuite.Retention.Model;
using PrivacySuite.Retention.Workers;
using PrivacySuite.ServiceDefaults.OpenApi;

namespace Microsoft.Extensions.Hosting;

public static class RetentionExtensions
{
    /// <summary>Retention schedules, legal holds, the cancellation clock, termination and transfer plans, and sweeps.</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.Services.AddApiExamples(PrivacySuite.Retention.Apis.OpenApiExamples.ByOperation);
        builder.AddServiceDatabase<RetentionDbContext>("retentiondb");
        builder.AddMessaging<RetentionDbContext>("retention", bus =>
        {
            bus.AddInboxBatchConsumer<RecordInventoryOnSubjectDataStored>();
            bus.AddInboxBatchConsumer<TouchInventoryOnSubjectDataUsed>();
            bus.AddConsumer<RecordFulfilmentOnPurposeFulfilled>();
            bus.AddConsumer<StartCancellationClockOnAccountCancelled>();
            bus.AddConsumer<MarkMinorOnMinorWithoutGuardianConsentDetected>();
            bus.AddConsumer<CompleteErasureOnSubjectErased>();
            bus.AddConsumer<CompleteOnRemovalsAnswered>();
        });
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<RemovalOutcomes>();
        builder.Services.AddScoped<CancellationReceipts>();
        builder.Services.AddScoped<SweepRunner>();
        builder.Services.AddScoped<TerminationNotices>();
        builder.Services.AddScoped<TransferNotices>();
        builder.Services.AddSingleton<RetentionSignal>();
        builder.Services.AddHostedService<RetentionWorker>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRetentionApi(this IEndpointRouteBuilder app) => app
        .MapSchedulesApi()
        .MapLegalHoldsApi()
        .MapSweepsApi()
        .MapTerminationPlansApi()
        .MapTransferPlansApi()
        .MapSubjectsApi()
        .MapCertificatesApi()
        .MapCancellationReceiptsApi();
}
