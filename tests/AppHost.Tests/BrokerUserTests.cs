using PrivacySuite.AppHost.Hosting;
using PrivacySuite.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace PrivacySuite.AppHost.Tests;

/// <summary>
/// Each service's broker user (issue 18.8), with the permissions the AppHost gives it (<see cref="BrokerPermissions.For"/>):
/// it cannot forge another service's events, nor read, feed or delete another service's queues.
/// </summary>
public sealed class BrokerUserTests
{
    [Fact]
    public async Task Each_service_publishes_exactly_the_events_it_is_declared_to_publish_and_no_other()
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        var admin = await infrastructure.CreateVirtualHostAsync("brokerusers");
        await using var adminConnection = await ConnectAsync(admin);
        await using var adminChannel = await adminConnection.CreateChannelAsync();
        // Every event exchange with a queue that keeps what reaches it, as the consumers' buses leave them.
        foreach (var route in EventRoutes.All)
        {
            await adminChannel.ExchangeDeclareAsync(route.Exchange, ExchangeType.Fanout, durable: true);
            await adminChannel.QueueDeclareAsync(Observer(route), durable: true, exclusive: false, autoDelete: false);
            await adminChannel.QueueBindAsync(Observer(route), route.Exchange, "");
        }

        var refusals = new List<string>();
        foreach (var service in SuiteServices.All)
        {
            await using var connection = await ConnectAsync(await infrastructure.CreateServiceUserAsync(admin, service));
            foreach (var route in EventRoutes.All)
            {
                var refused = await RefusedAsync(connection, channel => channel.BasicPublishAsync(route.Exchange, "", "{}"u8.ToArray()).AsTask());
                Assert.True(refused != route.Publishers.Contains(service),
                    $"{service} publishing {route.Event.Name}: {(refused ? "refused" : "accepted")}, but its publishers are [{string.Join(", ", route.Publishers)}]");
                if (refused)
                {
                    refusals.Add($"{service}:{route.Event.Name}");
                }
            }
        }

        // What was accepted arrived once per publisher; nothing refused arrived.
        foreach (var route in EventRoutes.All)
        {
            Assert.Equal((uint)route.Publishers.Count, await adminChannel.MessageCountAsync(Observer(route)));
        }

        Assert.Contains("consent:RemovalsRequested", refusals);
        Assert.Contains("vault:ConsentWithdrawn", refusals);
        Assert.Contains("notifications:NoticeRequested", refusals);
    }

    [Fact]
    public async Task A_service_cannot_read_feed_delete_or_tap_another_services_queues_but_manages_its_own()
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        var admin = await infrastructure.CreateVirtualHostAsync("brokerusers");
        await using var adminConnection = await ConnectAsync(admin);
        await using var adminChannel = await adminConnection.CreateChannelAsync();
        const string vaultQueue = "vault-remove-on-removals-requested";
        var removals = EventRoutes.All.Single(r => r.Event == typeof(RemovalsRequested)).Exchange;
        await adminChannel.ExchangeDeclareAsync(removals, ExchangeType.Fanout, durable: true);
        await adminChannel.ExchangeDeclareAsync(vaultQueue, ExchangeType.Fanout, durable: true);
        await adminChannel.QueueDeclareAsync(vaultQueue, durable: true, exclusive: false, autoDelete: false);
        await adminChannel.QueueBindAsync(vaultQueue, vaultQueue, "");
        await adminChannel.BasicPublishAsync(vaultQueue, "", "{}"u8.ToArray());

        await using var consent = await ConnectAsync(await infrastructure.CreateServiceUserAsync(admin, SuiteServices.Consent));
        Assert.True(await RefusedAsync(consent, c => c.BasicGetAsync(vaultQueue, autoAck: true)), "consent read the vault's queue");
        Assert.True(await RefusedAsync(consent, c => c.BasicPublishAsync(vaultQueue, "", "{}"u8.ToArray()).AsTask()), "consent fed the vault's endpoint");
        Assert.True(await RefusedAsync(consent, c => c.QueueDeleteAsync(vaultQueue)), "consent deleted the vault's queue");
        // Its own queue, bound to an event it does not consume, would let it read retention's requests to the vault.
        Assert.False(await RefusedAsync(consent, c => c.QueueDeclareAsync("consent-tap", durable: true, exclusive: false, autoDelete: false)));
        Assert.True(await RefusedAsync(consent, c => c.QueueBindAsync("consent-tap", removals, "")), "consent tapped RemovalsRequested");

        // What it consumes, it binds its own endpoints to, as MassTransit does at start.
        var withdrawals = EventRoutes.All.Single(r => r.Event == typeof(ConsentWithdrawn)).Exchange;
        Assert.False(await RefusedAsync(consent, async c =>
        {
            await c.ExchangeDeclareAsync(withdrawals, ExchangeType.Fanout, durable: true);
            await c.ExchangeDeclareAsync("consent-tap", ExchangeType.Fanout, durable: true);
            await c.ExchangeBindAsync("consent-tap", withdrawals, "");
            await c.QueueBindAsync("consent-tap", "consent-tap", "");
        }));
        Assert.Equal(1u, await adminChannel.MessageCountAsync(vaultQueue));
    }

    private static string Observer(EventRoute route) => $"observer-{route.Event.Name}";

    private static Task<IConnection> ConnectAsync(string connectionString) =>
        new ConnectionFactory { Uri = new Uri(connectionString) }.CreateConnectionAsync();

    /// <summary>Whether the broker refused <paramref name="operation"/> (ACCESS_REFUSED closes the channel), on a channel of its own with publisher confirms.</summary>
    private static async Task<bool> RefusedAsync(IConnection connection, Func<IChannel, Task> operation)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        try
        {
            await operation(channel);
            return false;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == Constants.AccessRefused)
        {
            return true;
        }
    }
}
