namespace PrivacySuite.Incidents.Tests;

/// <summary>Issue 18, item 9: every route of the incidents service, attacked from its OpenAPI document.</summary>
public sealed class HostileInputTests(IncidentsFactory factory) : HostileInputTests<Program>(factory), IClassFixture<IncidentsFactory>;
