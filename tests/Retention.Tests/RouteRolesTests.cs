namespace PrivacySuite.Retention.Tests;

/// <summary>Issue 18, item 2: the retention service's routes answer each role as docs/security.md says.</summary>
public sealed class RouteRolesTests(RetentionFactory factory) : RouteRolesTests<Program>(factory, "retention"), IClassFixture<RetentionFactory>;
