namespace PrivacySuite.Retention.Tests;

/// <summary>Issue 18, item 9: every route of the retention service, attacked from its OpenAPI document.</summary>
public sealed class HostileInputTests(RetentionFactory factory) : HostileInputTests<Program>(factory), IClassFixture<RetentionFactory>;
