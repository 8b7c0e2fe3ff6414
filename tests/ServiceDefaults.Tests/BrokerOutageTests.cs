using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.ServiceDefaults.Tests.NotesApp;
using PrivacySuite.Testing;

namespace PrivacySuite.ServiceDefaults.Tests;

/// <summary>Runs against a broker of its own, which it stops and starts again.</summary>
public sealed class BrokerOutageTests
{
    [Fact]
    public async Task Event_committed_while_the_broker_is_down_is_delivered_once_it_is_back()
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        RabbitMqServer broker = await SuiteInfrastructure.StartDedicatedRabbitMqAsync("rabbitmq-outage");
        await using var host = await NotesHost.StartAsync(await infrastructure.CreateDatabaseAsync("outage"), broker.ConnectionString());

        await broker.StopAsync();

        using var response = await host.Client.PostAsJsonAsync("/notes", new { text = "written while the broker is down" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var note = (await response.Content.ReadFromJsonAsync<Note>())!;

        // The relay tries, fails, and keeps the row for later.
        await Eventually.HoldsAsync(
            () => host.WithDbAsync(db => db.OutboxFor(note.Id).AnyAsync(m => m.SentAt == null && m.Attempts > 0)),
            TimeSpan.FromSeconds(30), "a failed publish attempt was recorded");

        await broker.StartAsync(CancellationToken.None);

        await Eventually.HoldsAsync(
            () => host.WithDbAsync(db => db.NoteEffects.AnyAsync(e => e.NoteId == note.Id)),
            TimeSpan.FromSeconds(60), "the event reached its consumer after the broker came back");
        await Task.Delay(1000);
        Assert.Equal(1, await host.WithDbAsync(db => db.NoteEffects.Where(e => e.NoteId == note.Id).Select(e => e.Applied).SingleAsync()));
        Assert.True(await host.WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.SentAt != null)));
        await broker.StopAsync();
    }
}
