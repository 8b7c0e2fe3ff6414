namespace PrivacySuite.Vault.Infrastructure;

/// <summary>The vault service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class VaultDbContext(DbContextOptions<VaultDbContext> options) : ServiceDbContext(options);
