namespace PrivacySuite.Consent.Tests;

/// <summary>Issue 18, item 9: every route of the consent service, attacked from its OpenAPI document.</summary>
public sealed class HostileInputTests(ConsentFactory factory) : HostileInputTests<Program>(factory), IClassFixture<ConsentFactory>;
