namespace PrivacySuite.Notifications.Tests;

public sealed class StartupTests(NotificationsFactory factory) : ServiceStartupTests<Program>(factory), IClassFixture<NotificationsFactory>;
