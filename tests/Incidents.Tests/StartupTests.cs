namespace PrivacySuite.Incidents.Tests;

public sealed class StartupTests(IncidentsFactory factory) : ServiceStartupTests<Program>(factory), IClassFixture<IncidentsFactory>;
