namespace Microsoft.Extensions.Hosting;

public static class ConsentExtensions
{
    /// <summary>Purposes, policy versions, consents, guardian consent and the consent check.</summary>
    public static IHostApplicationBuilder AddConsent(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.AddServiceDatabase<ConsentDbContext>("consentdb");
        builder.AddMessaging<ConsentDbContext>("consent");
        return builder;
    }
}
