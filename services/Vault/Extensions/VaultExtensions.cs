namespace Microsoft.Extensions.Hosting;

public static class VaultExtensions
{
    /// <summary>Personal data encrypted at rest, tokens, purpose-checked reads, the access log and subject rights.</summary>
    public static IHostApplicationBuilder AddVault(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.AddServiceDatabase<VaultDbContext>("vaultdb");
        builder.AddMessaging<VaultDbContext>("vault");
        return builder;
    }
}
