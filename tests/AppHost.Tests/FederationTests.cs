using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Replication;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.AppHost.Tests;

public sealed class WithdrawalsSeen
{
    private readonly HashSet<string> _subjects = [];

    public bool Saw(string subjectId)
    {
        lock (_subjects)
        {
            return _subjects.Contains(subjectId);
        }
    }

    public void Add(string subjectId)
    {
        lock (_subjects)
        {
            _subjects.Add(subjectId);
        }
    }
}

public sealed class RecordWithdrawal(WithdrawalsSeen seen) : IConsumer<ConsentWithdrawn>
{
    public Task Consume(ConsumeContext<ConsentWithdrawn> context)
    {
        seen.Add(context.Message.SubjectId);
        return Task.CompletedTask;
    }
}

/// <summary>Events published in the primary region reach consumers on the standby region's broker.</summary>
public sealed class FederationTests
{
    [Fact]
    public async Task Event_published_in_beijing_reaches_a_consumer_in_guangzhou_even_across_a_guangzhou_broker_restart()
    {
        var beijing = await SuiteInfrastructure.StartDedicatedRabbitMqAsync("rabbitmq-beijing");
        var guangzhou = await SuiteInfrastructure.StartDedicatedRabbitMqAsync("rabbitmq-guangzhou");
        var seen = new WithdrawalsSeen();
        using var consumer = await StartBusAsync(guangzhou, bus => bus.AddConsumer<RecordWithdrawal>(), seen);
        using var publisher = await StartBusAsync(beijing, _ => { }, seen);

        await RabbitMqFederation.LinkAsync(beijing, guangzhou);
        await Eventually.HoldsAsync(
            async () => (await RabbitMqFederation.LinksAsync(guangzhou)).Any(l => l.Exchange.EndsWith(":ConsentWithdrawn", StringComparison.Ordinal) && l.Status == "running"),
            TimeSpan.FromSeconds(30), "the federation link for ConsentWithdrawn is running");

        var bus = publisher.Services.GetRequiredService<IBus>();
        await bus.Publish(new ConsentWithdrawn("subject-1", "marketing.offers", DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => Task.FromResult(seen.Saw("subject-1")), TimeSpan.FromSeconds(15), "guangzhou consumed subject-1's withdrawal");
        Assert.True(seen.Saw("subject-1"));
        Assert.False(seen.Saw("subject-2"));

        // The standby's broker goes down; what the primary publishes meanwhile waits upstream (resource-cleanup-mode never).
        await consumer.StopAsync();
        await guangzhou.StopAsync();
        await bus.Publish(new ConsentWithdrawn("subject-2", "marketing.offers", DateTimeOffset.UtcNow));
        await guangzhou.StartAsync(CancellationToken.None);
        using var restarted = await StartBusAsync(guangzhou, b => b.AddConsumer<RecordWithdrawal>(), seen);

        await Eventually.HoldsAsync(() => Task.FromResult(seen.Saw("subject-2")), TimeSpan.FromSeconds(60),
            "the withdrawal published while guangzhou was down arrived after it came back");
        Assert.True(seen.Saw("subject-2"));
        Assert.Contains(await RabbitMqFederation.LinksAsync(guangzhou), l => l.Exchange.EndsWith(":ConsentWithdrawn", StringComparison.Ordinal) && l.Status == "running");
        await publisher.StopAsync();
        await restarted.StopAsync();
        await Task.WhenAll(beijing.StopAsync(), guangzhou.StopAsync());
    }

    private static async Task<IHost> StartBusAsync(RabbitMqServer server, Action<IBusRegistrationConfigurator> consumers, WithdrawalsSeen seen)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(seen);
        RabbitMqAddress.TryParse(server.ConnectionString(), out var address);
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter("consent", includeNamespace: false));
            consumers(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(address.Host, address.Port, address.VirtualHost, h =>
                {
                    h.Username(address.Username);
                    h.Password(address.Password);
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
