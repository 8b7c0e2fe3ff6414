namespace PrivacySuite.Notifications.Tests;

/// <summary>Issue 18, item 2: the notifications service's routes answer each role as docs/security.md says.</summary>
public sealed class RouteRolesTests(NotificationsFactory factory) : RouteRolesTests<Program>(factory, "notifications"), IClassFixture<NotificationsFactory>;
