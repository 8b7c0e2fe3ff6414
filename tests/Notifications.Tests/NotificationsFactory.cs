using PrivacySuite.Testing;

namespace PrivacySuite.Notifications.Tests;

public sealed class NotificationsFactory() : ServiceFactory<Program>("notificationsdb");
