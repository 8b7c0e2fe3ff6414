namespace PrivacySuite.Incidents.Infrastructure;

/// <summary>The incidents service's own database: its domain tables, plus the outbox and inbox of <see cref="ServiceDbContext"/>.</summary>
public sealed class IncidentsDbContext(DbContextOptions<IncidentsDbContext> options) : ServiceDbContext(options);
