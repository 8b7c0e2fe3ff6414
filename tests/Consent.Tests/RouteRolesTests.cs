namespace PrivacySuite.Consent.Tests;

/// <summary>Issue 18, item 2: the consent service's routes answer each role as docs/security.md says.</summary>
public sealed class RouteRolesTests(ConsentFactory factory) : RouteRolesTests<Program>(factory, "consent"), IClassFixture<ConsentFactory>;
