using PrivacySuite.Notifications;
using PrivacySuite.Notifications.Channels;
using PrivacySuite.Notifications.IntegrationEvents;
using PrivacySuite.Notifications.Model;
using PrivacySuite.Notifications.Workers;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.OpenApi;

namespace Microsoft.Extensions.Hosting;

public static class NotificationsExtensions
{
    public const string PushGateway = "pushgateway";
    public const string SmsGateway = "smsgateway";

    /// <summary>E-mail, push, SMS and bulletin notices, templated, retried and never sent twice.</summary>
    public static IHostApplicationBuilder AddNotifications(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidation();
        builder.Services.AddApiExamples(PrivacySuite.Notifications.Apis.OpenApiExamples.ByOperation);
        builder.AddServiceDatabase<NotificationsDbContext>("notificationsdb");
        builder.AddMessaging<NotificationsDbContext>("notifications", bus =>
        {
            bus.AddConsumer<QueueNoticeOnNoticeRequested>();
            bus.AddConsumer<QueueCampaignOnNoticeCampaignRequested>();
            bus.AddConsumer<QueueIncidentNoticesOnNoticeBatchRequested>();
            bus.AddConsumer<PublishBulletinOnBulletinRequested>();
            bus.AddConsumer<PageOnCallOnOnCallPageRequested>();
            bus.AddConsumer<QueueWebhooksOnConsentWithdrawn>();
            bus.AddConsumer<QueueWebhooksOnAccountCancelled>();
            bus.AddConsumer<QueueWebhooksOnPolicyVersionPublished>();
            bus.AddConsumer<QueueWebhooksOnSubjectErased>();
        });

        builder.Services.AddOptions<NotificationsOptions>().BindConfiguration(NotificationsOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OnCallOptions>().BindConfiguration(OnCallOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();

        // Read when first needed: test hosts add their configuration after the builder is set up.
        builder.Services.AddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<NotificationsOptions>>().Value;
            return new SmtpClientPool(
                SmtpEndpoint.FromConfiguration(sp.GetRequiredService<IConfiguration>(), settings.SmtpTrustedCertificate), settings.SmtpSessions);
        });
        builder.Services.AddHttpClient<VaultContacts>(VaultContacts.ClientName, c => c.BaseAddress = new("http://vault/")).AddServiceIdentity();
        builder.Services.AddHttpClient<VaultCodes>(c => c.BaseAddress = new("http://vault/")).AddServiceIdentity();
        foreach (var gateway in new[] { PushGateway, SmsGateway })
        {
            // The channel router retries only sends the gateway clearly refused; the default pipeline would also retry
            // timeouts, which may have gone out, so it is removed for the gateways.
#pragma warning disable EXTEXP0001 // marked experimental, but it is the package's one way to opt a client out of the defaults
            builder.Services.AddHttpClient(gateway).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        }

        // Webhooks go to addresses outside the suite: no retry pipeline (the sender retries with its own backoff, from the
        // table), no service discovery (an endpoint named like a suite service must not reach it), no redirects, and no
        // request logging (the URL's query may hold the receiver's token).
        builder.Services.AddHttpClient(WebhookSender.ClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(5),
                ConnectCallback = WebhookSender.ConnectOnlyOutwards(sp.GetRequiredService<IOptions<WebhookOptions>>()),
            })
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear())
            .RemoveAllLoggers();

        builder.Services.AddSingleton<IChannelSender, EmailSender>();
        builder.Services.AddSingleton<IChannelSender>(sp => new GatewaySender(
            ChannelNames.Sms, SmsGateway, sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<IChannelSender>(sp => new GatewaySender(
            ChannelNames.Push, PushGateway, sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddSingleton<ChannelRouter>();
        builder.Services.AddSingleton<ContactBounces>();
        builder.Services.AddSingleton<DeliverySignal>();
        builder.Services.AddScoped<NoticeIntake>();
        builder.Services.AddScoped<IStandbyRehearsal<NotificationsDbContext>, NoticeRehearsal>();
        builder.Services.AddScoped<Paging>();
        builder.Services.AddHostedService<PageRepeater>();
        builder.Services.AddSingleton<WebhookSecrets>();
        builder.Services.AddSingleton<WebhookSignal>();
        builder.Services.AddScoped<Webhooks>();
        builder.Services.AddScoped<Bulletins>();
        builder.Services.AddHostedService<WebhookSender>();
        builder.Services.AddHostedService<DeliveryDispatcher>();
        return builder;
    }
}
