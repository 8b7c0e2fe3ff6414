using System.ComponentModel.DataAnnotations;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Data;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.ServiceDefaults.Tests.NotesApp;

// A minimal service built only from ServiceDefaults, so the shared machinery is tested on its own.

public sealed class Note
{
    public Guid Id { get; set; }

    public string Text { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class NoteEffect
{
    public Guid NoteId { get; set; }

    public int Applied { get; set; }
}

public sealed record NoteAdded(Guid NoteId);

public sealed class NoteTag
{
    public Guid NoteId { get; set; }

    public string Tag { get; set; } = "";

    public int Applied { get; set; }
}

/// <summary>A high-volume event, consumed in batches. The tag <see cref="Poison"/> makes its consumer throw.</summary>
public sealed record NoteTagged(Guid NoteId, string Tag)
{
    public const string Poison = "poison";
}

public sealed class NotesDbContext(DbContextOptions<NotesDbContext> options) : ServiceDbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    public DbSet<NoteEffect> NoteEffects => Set<NoteEffect>();

    public DbSet<NoteTag> NoteTags => Set<NoteTag>();

    /// <summary>The outbox rows that carry a <see cref="NoteAdded"/> for <paramref name="noteId"/>.</summary>
    public IQueryable<OutboxMessage> OutboxFor(Guid noteId) =>
        OutboxMessages.FromSql($"select * from outbox_messages where payload->>'noteId' = {noteId.ToString()}");

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Note>().ToTable("notes");
        modelBuilder.Entity<NoteEffect>(e =>
        {
            e.ToTable("note_effects");
            e.HasKey(x => x.NoteId);
        });
        modelBuilder.Entity<NoteTag>(e =>
        {
            e.ToTable("note_tags");
            e.HasKey(x => new { x.NoteId, x.Tag });
        });
    }
}

/// <summary>Counts how often its effect is applied: exactly once per note is the promise under test.</summary>
public sealed class RecordNoteEffect(NotesDbContext db) : InboxConsumer<NoteAdded, NotesDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<NoteAdded> context)
    {
        var effect = await Db.NoteEffects.FindAsync([context.Message.NoteId], context.CancellationToken);
        if (effect is null)
        {
            Db.NoteEffects.Add(new NoteEffect { NoteId = context.Message.NoteId, Applied = 1 });
        }
        else
        {
            effect.Applied++;
        }
    }
}

/// <summary>Counts how often each tag is applied, in batches: exactly once per tag, and a poison tag spoils nothing else.</summary>
public sealed class RecordNoteTagsInBatches(NotesDbContext db) : InboxBatchConsumer<NoteTagged, NotesDbContext>(db)
{
    protected override async Task HandleAsync(ConsumeContext<NoteTagged> context)
    {
        if (context.Message.Tag == NoteTagged.Poison)
        {
            throw new InvalidOperationException("A poison tag, as a consumer bug would throw.");
        }

        var tag = await Db.NoteTags.FindAsync([context.Message.NoteId, context.Message.Tag], context.CancellationToken);
        if (tag is null)
        {
            Db.NoteTags.Add(new NoteTag { NoteId = context.Message.NoteId, Tag = context.Message.Tag, Applied = 1 });
        }
        else
        {
            tag.Applied++;
        }
    }
}

public sealed record AddNoteRequest([property: Required, StringLength(100, MinimumLength = 1)] string Text);

public static class NotesEndpoints
{
    public static async Task<Results<Created<Note>, ValidationProblem>> AddNote(AddNoteRequest request, NotesDbContext db, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var note = new Note { Id = Guid.NewGuid(), Text = request.Text, CreatedAt = now };
        db.Notes.Add(note);
        db.AddIntegrationEvent(new NoteAdded(note.Id), now);
        await db.SaveChangesAsync();
        return TypedResults.Created($"/notes/{note.Id}", note);
    }

    public static async Task<Results<Ok<Note>, NotFound>> GetNote(Guid id, NotesDbContext db) =>
        await db.Notes.FindAsync(id) is { } note ? TypedResults.Ok(note) : TypedResults.NotFound();
}

/// <summary>Starts the notes app on a real Kestrel port against the given database and broker.</summary>
public sealed class NotesHost : IAsyncDisposable
{
    private NotesHost(WebApplication app, HttpClient client, DevCredentials credentials)
    {
        App = app;
        Client = client;
        Credentials = credentials;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public DevCredentials Credentials { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<NotesHost> StartAsync(string databaseConnection, string rabbitConnection, Action<IDictionary<string, string?>>? configure = null,
        string environment = "Development")
    {
        var credentials = DevCredentials.Generate();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ApplicationName = typeof(NotesHost).Assembly.GetName().Name });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:notesdb"] = databaseConnection,
            ["ConnectionStrings:rabbitmq"] = rabbitConnection,
            ["PrivacySuite:Outbox:PollInterval"] = "00:00:00.500",
            ["PrivacySuite:Outbox:MaxBackoff"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in credentials.ToEnvironment())
        {
            settings[key.Replace("__", ":")] = value;
        }

        configure?.Invoke(settings);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        builder.AddServiceDefaults();
        builder.Services.AddValidation();
        builder.AddServiceDatabase<NotesDbContext>("notesdb");
        builder.AddMessaging<NotesDbContext>("notes", bus =>
        {
            bus.AddConsumer<RecordNoteEffect>();
            bus.AddInboxBatchConsumer<RecordNoteTagsInBatches>();
        });

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapPost("/notes", NotesEndpoints.AddNote).RequireRoles(SuiteRoles.ProductBackend);
        app.MapGet("/notes/{id:guid}", NotesEndpoints.GetNote).RequireRoles(SuiteRoles.ProductBackend);
        // Who the caller passed as: every role may ask, so a test sees the name and roles a credential yields.
        app.MapGet("/whoami", (System.Security.Claims.ClaimsPrincipal user) => TypedResults.Ok(new
        {
            name = user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
            caller = user.CallerId(),
            roles = user.FindAll(System.Security.Claims.ClaimTypes.Role).Select(c => c.Value).ToArray(),
        })).RequireRoles([.. SuiteRoles.All, SuiteRoles.Service]);
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        client.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, credentials.ProductBackendApiKey);
        return new NotesHost(app, client, credentials);
    }

    public async Task<T> WithDbAsync<T>(Func<NotesDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<NotesDbContext>());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
