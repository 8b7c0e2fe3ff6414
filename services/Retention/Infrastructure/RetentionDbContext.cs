namespace PrivacySuite.Retention.Infrastructure;

/// <summary>The retention service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class RetentionDbContext(DbContextOptions<RetentionDbContext> options) : ServiceDbContext(options);
