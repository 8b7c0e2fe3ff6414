using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.OpenApi;
using PrivacySuite.Vault;
using PrivacySuite.Vault.Apis;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.IntegrationEvents;
using PrivacySuite.Vault.Model;
using PrivacySuite.Vault.Workers;

namespace Microsoft.Extensions.Hosting;

public static class VaultExtensions
{
    /// <summary>Personal data encrypted at rest, tokens, purpose-checked reads, the access log and subject rights.</summary>
    public static IHostApplicationBuilder AddVault(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.Services.AddApiExamples(PrivacySuite.Vault.Apis.OpenApiExamples.ByOperation);
        builder.AddServiceDatabase<VaultDbContext>("vaultdb");
        builder.AddMessaging<VaultDbContext>("vault", bus =>
        {
            bus.AddConsumer<ForgetDecisionOnConsentGranted>();
            bus.AddConsumer<ForgetDecisionOnConsentWithdrawn>();
            bus.AddConsumer<ForgetDecisionOnSensitiveConsentWithdrawn>();
            bus.AddConsumer<ForgetDecisionsOnAccountCancelled>();
            bus.AddConsumer<AdvanceEpochOnPolicyVersionPublished>();
            bus.AddConsumer<RecordHoldOnLegalHoldPlaced>();
            bus.AddConsumer<ReleaseHoldOnLegalHoldReleased>();
            bus.AddConsumer<RemoveOnRemovalsRequested>();
            bus.AddConsumer<RemoveOnExpiredRemovalsRequested>();
            bus.AddConsumer<RefuseOnRemovalsRequestedFault>();
            bus.AddConsumer<RefuseOnExpiredRemovalsRequestedFault>();
        });

        builder.Services.AddOptions<VaultOptions>().BindConfiguration(VaultOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.KeyDirectory), "PrivacySuite:Vault:KeyDirectory must name a folder for the key-encryption keys.")
            .Validate(o => o.KeyFileUpgradeInterval > TimeSpan.Zero, "PrivacySuite:Vault:KeyFileUpgradeInterval must be positive.")
            .Validate(o => o.StaleKeyFileInterval > TimeSpan.Zero, "PrivacySuite:Vault:StaleKeyFileInterval must be positive.")
            .Validate(o => o.ConsentDecisionMaxAge > TimeSpan.Zero && o.ConsentDecisionMaxAge <= TimeSpan.FromHours(1), "PrivacySuite:Vault:ConsentDecisionMaxAge must be positive and at most 1 hour.")
            .Validate(o => o.KeyCacheLifetime >= TimeSpan.Zero && o.KeyCacheLifetime <= TimeSpan.FromMinutes(5), "PrivacySuite:Vault:KeyCacheLifetime must be between 0 and 5 minutes.")
            .Validate(o => o.IdempotencyKeyLifetime >= TimeSpan.FromHours(1) && o.IdempotencyKeyLifetime <= TimeSpan.FromDays(7), "PrivacySuite:Vault:IdempotencyKeyLifetime must be between 1 hour and 7 days.")
            .Validate(o => o.PurposeCatalogueMaxAge > TimeSpan.Zero && o.PurposeCatalogueMaxAge <= TimeSpan.FromHours(1), "PrivacySuite:Vault:PurposeCatalogueMaxAge must be positive and at most 1 hour.")
            .Validate(o => o.SignInMinimumAnswerTime >= TimeSpan.Zero && o.SignInMinimumAnswerTime <= TimeSpan.FromSeconds(5), "PrivacySuite:Vault:SignInMinimumAnswerTime must be between 0 and 5 seconds.")
            .Validate(o => o.CrossBorderPurposesInForce.All(p => PurposeCode.TryParse(p, out _)), "PrivacySuite:Vault:CrossBorderPurposes must be purpose codes of the consent catalogue.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new FileKeyProvider(sp.GetRequiredService<IOptions<VaultOptions>>().Value.KeyDirectory));
        builder.Services.AddSingleton(sp => new SubjectKeyStore(sp.GetRequiredService<IOptions<VaultOptions>>().Value.KeyDirectory,
            sp.GetRequiredService<IOptions<VaultOptions>>().Value.KeyCacheLifetime, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<MacKeys>();
        builder.Services.AddSingleton<AccessLogAnchor>();
        builder.Services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, AccessLogAnchorOnCommit>();
        builder.Services.AddSingleton<AccessLogBook>();
        builder.Services.AddSingleton<AccessLogAnchoring>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccessLogAnchoring>());
        builder.Services.AddSingleton<AccessLogAppender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccessLogAppender>());
        builder.Services.AddSingleton<Keyring>();
        builder.Services.AddHostedService<SubjectKeyFiles>();
        builder.Services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor, KeyFilesOnCommit>();
        builder.Services.AddSingleton<StaleKeyFiles>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StaleKeyFiles>());
        builder.Services.AddScoped<ConsentGate>();
        builder.Services.AddSingleton<StepUpVerifier>();
        builder.Services.AddSingleton<PurposeCatalogue>();
        builder.Services.AddHostedService<PurposeCatalogueRefresher>();
        builder.Services.AddScoped<VaultService>();
        builder.Services.AddScoped<IStandbyRehearsal<VaultDbContext>, StoreRehearsal>();
        builder.Services.AddScoped<IdentityVerifications>();
        builder.Services.AddScoped<SubjectViews>();
        builder.Services.AddScoped<IdempotencyKeys>();
        builder.Services.AddHttpClient(ConsentGate.HttpClientName, c => c.BaseAddress = new Uri("http://consent")).AddServiceIdentity();
        return builder;
    }

    public static IEndpointRouteBuilder MapVaultApi(this IEndpointRouteBuilder app) => app
        .MapDataApi()
        .MapServiceApi()
        .MapContactsBatchApi()
        .MapKnownSubjectsApi()
        .MapSubjectRightsApi()
        .MapContactVerificationApi()
        .MapGuardianVerificationApi()
        .MapSubjectRequestsApi()
        .MapSignInApi()
        .MapSubjectViewsApi()
        .MapGovernanceApi()
        .MapTransfersApi();
}
