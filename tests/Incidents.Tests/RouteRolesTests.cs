namespace PrivacySuite.Incidents.Tests;

/// <summary>Issue 18, item 2: the incidents service's routes answer each role as docs/security.md says.</summary>
public sealed class RouteRolesTests(IncidentsFactory factory) : RouteRolesTests<Program>(factory, "incidents"), IClassFixture<IncidentsFactory>;
