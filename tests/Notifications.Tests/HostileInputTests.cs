namespace PrivacySuite.Notifications.Tests;

/// <summary>Issue 18, item 9: every route of the notifications service, attacked from its OpenAPI document.</summary>
public sealed class HostileInputTests(NotificationsFactory factory) : HostileInputTests<Program>(factory), IClassFixture<NotificationsFactory>;
