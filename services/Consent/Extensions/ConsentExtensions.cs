using PrivacySuite.Consent;
using PrivacySuite.Consent.IntegrationEvents;
using PrivacySuite.Consent.Workers;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.OpenApi;

namespace Microsoft.Extensions.Hosting;

public static class ConsentExtensions
{
    /// <summary>Purposes, policy versions, consents, guardian consent and the consent check.</summary>
    public static IHostApplicationBuilder AddConsent(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.Services.AddApiExamples(PrivacySuite.Consent.Apis.OpenApiExamples.ByOperation);
        builder.AddServiceDatabase<ConsentDbContext>("consentdb");
        builder.AddMessaging<ConsentDbContext>("consent", bus =>
        {
            bus.AddConsumer<EraseRecordsOnSubjectErased>();
            bus.AddConsumer<EraseRecordsOnRemovalsAnswered>();
        });

        builder.Services.AddOptions<ConsentOptions>().BindConfiguration(ConsentOptions.SectionName)
            .Validate(o => o.DecisionCacheMaxAge > TimeSpan.Zero && o.DecisionCacheMaxEntries > 0,
                "PrivacySuite:Consent:DecisionCacheMaxAge and DecisionCacheMaxEntries must be positive.")
            .Validate(o => o.MinorGuardianConsentGrace >= TimeSpan.Zero && o.MinorCheckInterval > TimeSpan.Zero,
                "PrivacySuite:Consent:MinorGuardianConsentGrace must not be negative and MinorCheckInterval must be positive.")
            .Validate(o => o.AnnouncementInterval > TimeSpan.Zero && o.AnnouncementPageSize is >= 1 and <= 10_000,
                "PrivacySuite:Consent:AnnouncementInterval must be positive and AnnouncementPageSize between 1 and 10000.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PurposeCatalogue>();
        builder.Services.AddSingleton<DecisionCache>();
        builder.Services.AddSingleton<ReceiptSigner>();
        builder.Services.AddSingleton<SubjectStateReader>();
        builder.Services.AddHostedService<DecisionInvalidationEndpoint>();
        builder.Services.AddHostedService<MinorCheckWorker>();
        builder.Services.AddHostedService<PolicyAnnouncer>();
        builder.Services.AddSingleton<GuardianVerifier>();
        builder.Services.AddScoped<ConsentRecords>();
        builder.Services.AddScoped<PolicyPublishing>();
        // The guardian's code is spent by the call: no retry (a lost answer would make it look used), the caller retries.
#pragma warning disable EXTEXP0001 // marked experimental, but it is the package's one way to opt a client out of the defaults
        builder.Services.AddHttpClient(GuardianVerifier.HttpClientName, c =>
            {
                c.BaseAddress = new Uri("http://vault");
                c.Timeout = TimeSpan.FromSeconds(10);
            })
            .RemoveAllResilienceHandlers()
            .AddServiceIdentity();
#pragma warning restore EXTEXP0001
        return builder;
    }
}
