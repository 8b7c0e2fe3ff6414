using MassTransit;
using PrivacySuite.ServiceDefaults.Data;

namespace PrivacySuite.ServiceDefaults.Messaging;

public static class MessagingExtensions
{
    public const string ConnectionName = "rabbitmq";

    /// <summary>
    /// MassTransit over RabbitMQ from <c>ConnectionStrings__rabbitmq</c>: quorum queues named after the service,
    /// retries then the error queue, publisher confirms, and the outbox relay for <typeparamref name="TDb"/>.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging<TDb>(
        this IHostApplicationBuilder builder,
        string endpointPrefix,
        Action<IBusRegistrationConfigurator>? configureConsumers = null)
        where TDb : ServiceDbContext
    {
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("PrivacySuite:Outbox");
        builder.Services.AddOptions<ConsumerOptions>().BindConfiguration("PrivacySuite:Messaging");
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(endpointPrefix, includeNamespace: false));
            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.SetQuorumQueue();
                }

                // Then MassTransit moves the message to the endpoint's _error queue, where operators see it.
                endpoint.UseMessageRetry(r => r.Exponential(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
            });
            configureConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var address = RequireAddress(context.GetRequiredService<IConfiguration>());
                var consumers = context.GetRequiredService<IOptions<ConsumerOptions>>().Value;

                // Consumers wait on their database commit (the inbox); a handful in flight would leave the broker idle.
                rabbit.PrefetchCount = consumers.PrefetchCount;
                rabbit.ConcurrentMessageLimit = consumers.ConcurrentMessageLimit;
                rabbit.Host(address.Host, address.Port, address.VirtualHost, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                    h.PublisherConfirmation = true;
                    h.Heartbeat(TimeSpan.FromSeconds(10));
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            // In-flight messages that are not done by then are redelivered (the inbox drops repeats): a stop stays well
            // inside the 15 s in which Aspire's orchestrator expects a resource to end.
            o.StopTimeout = TimeSpan.FromSeconds(5);
        });

        builder.Services.AddSingleton<OutboxRelay<TDb>>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay<TDb>>());
        return builder;
    }

    /// <summary>
    /// Adds a consumer derived from <see cref="InboxBatchConsumer{TMessage,TDb}"/>: batches of up to 100 messages, two at
    /// a time, and a batch waits at most 10 ms for more after its first message (the latency a lone message pays).
    /// </summary>
    public static IConsumerRegistrationConfigurator<TConsumer> AddInboxBatchConsumer<TConsumer>(this IBusRegistrationConfigurator bus)
        where TConsumer : class, IConsumer =>
        bus.AddConsumer<TConsumer>(consumer => consumer.Options<BatchOptions>(batch => batch
            .SetMessageLimit(100)
            .SetConcurrencyLimit(2)
            .SetTimeLimit(TimeSpan.FromMilliseconds(10))));

    private static RabbitMqAddress RequireAddress(IConfiguration configuration) =>
        RabbitMqAddress.TryParse(configuration.GetConnectionString(ConnectionName), out var address)
            ? address
            : throw new InvalidOperationException(
                $"ConnectionStrings__{ConnectionName} is missing or is not an amqp://user:pass@host:port[/vhost] address. " +
                "Start the service through the AppHost (./eng/run.sh).");
}

public sealed class ConsumerOptions
{
    public int PrefetchCount { get; set; } = 64;

    public int ConcurrentMessageLimit { get; set; } = 32;
}

/// <summary>The parts of an <c>amqp://user:pass@host:port/vhost</c> connection string, as Aspire writes it.</summary>
public sealed record RabbitMqAddress(string Host, ushort Port, string VirtualHost, string Username, string Password)
{
    public static bool TryParse(string? connectionString, out RabbitMqAddress address)
    {
        address = null!;
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "rabbitmq"))
        {
            return false;
        }

        var user = uri.UserInfo.Split(':', 2);
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        address = new RabbitMqAddress(
            uri.Host,
            (ushort)(uri.IsDefaultPort || uri.Port <= 0 ? 5672 : uri.Port),
            vhost.Length == 0 ? "/" : vhost,
            Uri.UnescapeDataString(user[0]),
            user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "");
        return true;
    }
}
