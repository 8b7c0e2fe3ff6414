using System.Net;
using System.Net.Http.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Tests.NotesApp;
using PrivacySuite.Testing;

namespace PrivacySuite.ServiceDefaults.Tests;

public sealed class NotesHostFixture : IAsyncLifetime
{
    public NotesHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var infrastructure = await SuiteInfrastructure.GetAsync();
        Host = await NotesHost.StartAsync(
            await infrastructure.CreateDatabaseAsync("notes"),
            await infrastructure.CreateVirtualHostAsync("notes"));
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class OutboxAndInboxTests(NotesHostFixture fixture) : IClassFixture<NotesHostFixture>
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(20);
    private NotesHost Host => fixture.Host;

    [Fact]
    public async Task Event_committed_with_a_change_reaches_its_consumer_once()
    {
        var note = await AddNoteAsync("hello");

        await Eventually.HoldsAsync(() => EffectAppliedAsync(note.Id, 1), Delivery, "the consumer applied the note's effect");
        var outbox = await Host.WithDbAsync(db => db.OutboxFor(note.Id).AsNoTracking().SingleAsync());
        Assert.NotNull(outbox.SentAt);
        Assert.Equal(0, outbox.Attempts);
    }

    [Fact]
    public async Task Rolled_back_change_publishes_nothing()
    {
        var rolledBack = Guid.NewGuid();
        await using (var scope = Host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<NotesDbContext>();
            await using var tx = await db.Database.BeginTransactionAsync();
            db.Notes.Add(new Note { Id = rolledBack, Text = "never", CreatedAt = DateTimeOffset.UtcNow });
            db.AddIntegrationEvent(new NoteAdded(rolledBack), DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }

        // A later event is delivered; had the rolled-back one been published, it would have been delivered first or alongside.
        var sentinel = await AddNoteAsync("after the rollback");
        await Eventually.HoldsAsync(() => EffectAppliedAsync(sentinel.Id, 1), Delivery, "the sentinel note's effect");
        await Task.Delay(500);

        Assert.False(await Host.WithDbAsync(db => db.Notes.AnyAsync(n => n.Id == rolledBack)));
        Assert.False(await Host.WithDbAsync(db => db.OutboxFor(rolledBack).AnyAsync()));
        Assert.False(await Host.WithDbAsync(db => db.NoteEffects.AnyAsync(e => e.NoteId == rolledBack)));
    }

    [Fact]
    public async Task Redelivered_message_is_handled_once()
    {
        var note = await AddNoteAsync("twice");
        await Eventually.HoldsAsync(() => EffectAppliedAsync(note.Id, 1), Delivery, "the first delivery");

        // The same message published again under the same id, as a broker redelivery would bring it...
        var messageId = await Host.WithDbAsync(db => db.OutboxFor(note.Id).Select(m => m.MessageId).SingleAsync());
        var bus = Host.Services.GetRequiredService<IBus>();
        await bus.Publish(new NoteAdded(note.Id), ctx => ctx.MessageId = messageId);

        // ...and re-sent by the relay, as after a confirm that was lost before the row was marked sent.
        await Host.WithDbAsync(db => db.OutboxMessages.Where(m => m.MessageId == messageId)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, (DateTimeOffset?)null)));
        await Eventually.HoldsAsync(
            () => Host.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.MessageId == messageId && m.SentAt != null)),
            Delivery, "the relay re-sent the message");

        var sentinel = await AddNoteAsync("sentinel");
        await Eventually.HoldsAsync(() => EffectAppliedAsync(sentinel.Id, 1), Delivery, "the sentinel note's effect");
        await Task.Delay(1000);

        Assert.True(await EffectAppliedAsync(note.Id, 1), "the effect was applied exactly once");
        Assert.Equal(1, await Host.WithDbAsync(db => db.InboxMessages.CountAsync(m => m.MessageId == messageId)));
    }

    [Fact]
    public async Task Batched_consumer_applies_many_events_once_each_in_few_transactions()
    {
        var noteId = Guid.NewGuid();
        var tags = Enumerable.Range(0, 300).Select(i => $"t{i}").ToList();
        await TagAsync(noteId, tags);

        await Eventually.HoldsAsync(
            async () => await Host.WithDbAsync(db => db.NoteTags.CountAsync(t => t.NoteId == noteId)) == tags.Count,
            Delivery, "every tag applied");

        // Redelivered, as a broker would after a lost ack: found claimed, applied nothing more.
        var messageIds = await Host.WithDbAsync(db => db.OutboxFor(noteId).Select(m => m.MessageId).ToListAsync());
        var bus = Host.Services.GetRequiredService<IBus>();
        await bus.Publish(new NoteTagged(noteId, tags[0]), ctx => ctx.MessageId = messageIds[0]);
        await TagAsync(noteId, ["sentinel"]);
        await Eventually.HoldsAsync(
            () => Host.WithDbAsync(db => db.NoteTags.AnyAsync(t => t.NoteId == noteId && t.Tag == "sentinel")), Delivery, "the sentinel tag");
        await Task.Delay(500);

        Assert.True(await Host.WithDbAsync(db => db.NoteTags.Where(t => t.NoteId == noteId).AllAsync(t => t.Applied == 1)), "each tag applied exactly once");
        // An inbox claim's processed_at is its transaction's start: distinct values count the transactions.
        var transactions = await Host.WithDbAsync(db => db.InboxMessages
            .Where(m => messageIds.Contains(m.MessageId) && m.Consumer == nameof(RecordNoteTagsInBatches))
            .Select(m => m.ProcessedAt).Distinct().CountAsync());
        Assert.InRange(transactions, 1, tags.Count / 5);
    }

    [Fact]
    public async Task A_poison_message_in_a_batch_spoils_none_of_the_others()
    {
        var noteId = Guid.NewGuid();
        var tags = Enumerable.Range(0, 40).Select(i => i == 17 ? NoteTagged.Poison : $"t{i}").ToList();
        await TagAsync(noteId, tags);

        await Eventually.HoldsAsync(
            async () => await Host.WithDbAsync(db => db.NoteTags.CountAsync(t => t.NoteId == noteId)) == tags.Count - 1,
            Delivery, "every tag but the poison applied");
        await Task.Delay(1000); // the poison's batch is being retried meanwhile: nothing may be applied twice

        Assert.True(await Host.WithDbAsync(db => db.NoteTags.Where(t => t.NoteId == noteId).AllAsync(t => t.Applied == 1)), "each tag applied exactly once");
        Assert.False(await Host.WithDbAsync(db => db.NoteTags.AnyAsync(t => t.NoteId == noteId && t.Tag == NoteTagged.Poison)));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"text":""}""")]
    [InlineData("""{"text":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""")]
    [InlineData("""{"text": 42""")]
    [InlineData("""[1,2,3]""")]
    public async Task Bad_input_answers_problem_details_and_writes_nothing(string body)
    {
        var notesBefore = await Host.WithDbAsync(db => db.Notes.CountAsync());
        var outboxBefore = await Host.WithDbAsync(db => db.OutboxMessages.CountAsync());

        using var response = await Host.Client.PostAsync("/notes", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>();
        Assert.Equal(400, problem!.Status);
        Assert.Equal(notesBefore, await Host.WithDbAsync(db => db.Notes.CountAsync()));
        Assert.Equal(outboxBefore, await Host.WithDbAsync(db => db.OutboxMessages.CountAsync()));
    }

    [Fact]
    public async Task Validation_errors_name_the_field()
    {
        using var response = await Host.Client.PostAsJsonAsync("/notes", new { text = "" });

        var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Http.HttpValidationProblemDetails>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Text", problem!.Errors.Keys);
    }

    private async Task<Note> AddNoteAsync(string text)
    {
        using var response = await Host.Client.PostAsJsonAsync("/notes", new { text });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Note>())!;
    }

    /// <summary>One committed change that raises an event per tag, as a bulk operation of a service would.</summary>
    private async Task TagAsync(Guid noteId, IEnumerable<string> tags)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotesDbContext>();
        foreach (var tag in tags)
        {
            db.AddIntegrationEvent(new NoteTagged(noteId, tag), DateTimeOffset.UtcNow);
        }

        await db.SaveChangesAsync();
    }

    private Task<bool> EffectAppliedAsync(Guid noteId, int times) =>
        Host.WithDbAsync(db => db.NoteEffects.AnyAsync(e => e.NoteId == noteId && e.Applied == times));
}
