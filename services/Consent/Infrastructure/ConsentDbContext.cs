namespace PrivacySuite.Consent.Infrastructure;

/// <summary>The consent service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class ConsentDbContext(DbContextOptions<ConsentDbContext> options) : ServiceDbContext(options);
