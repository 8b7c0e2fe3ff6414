namespace Microsoft.Extensions.Hosting;

public static class NotificationsExtensions
{
    /// <summary>E-mail, push, SMS and bulletin notices, templated, retried and never sent twice.</summary>
    public static IHostApplicationBuilder AddNotifications(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.AddServiceDatabase<NotificationsDbContext>("notificationsdb");
        builder.AddMessaging<NotificationsDbContext>("notifications");
        return builder;
    }
}
