using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace PrivacySuite.Consent.Tests;

public sealed record Check(bool Allowed, string? Basis, string? PolicyVersion, string Reason, IReadOnlyList<string>? SensitiveCategories = null);

/// <summary>Calls a test makes the way a product backend would, over HTTP.</summary>
public static class Api
{
    public static readonly DateOnly Adult = new(1990, 5, 17);

    public static string NewSubjectId() => $"s-{Guid.NewGuid():N}";

    public static DateOnly BornYearsAgo(int years) => DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-years).AddDays(-10);

    public static async Task<string> RegisterAsync(this HttpClient client, string policyId = "infobird", DateOnly? birthDate = null, string? ageBand = null)
    {
        var id = NewSubjectId();
        using var response = await client.PostAsJsonAsync("/v1/subjects", new { subjectId = id, policyId, birthDate = ageBand is null ? birthDate ?? Adult : birthDate, ageBand });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return id;
    }

    public static Task<HttpResponseMessage> GrantAsync(this HttpClient client, string subjectId, string purpose, string policyVersion = "1.0", object? guardian = null,
        string? legalBasis = null, string? basisReference = null) =>
        client.PostAsJsonAsync($"/v1/subjects/{subjectId}/consents", new
        {
            purpose,
            policyVersion,
            collectionMethod = "app-consent-screen",
            jurisdiction = "CN",
            guardian,
            legalBasis,
            basisReference,
        });

    public static async Task GrantOkAsync(this HttpClient client, string subjectId, string purpose, string policyVersion = "1.0", object? guardian = null)
    {
        using var response = await client.GrantAsync(subjectId, purpose, policyVersion, guardian);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public static async Task<Check> CheckAsync(this HttpClient client, string subjectId, string purpose)
    {
        using var response = await client.GetAsync($"/v1/consents/check?subjectId={subjectId}&purpose={purpose}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Check>())!;
    }

    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }
}

/// <summary>
/// Listens on the service's broker (the test's own bus, <see cref="ServiceFactory{TProgram}.TestBusAsync"/>), on a queue
/// of its own, for events of type <typeparamref name="T"/>: what another service subscribed to them would receive.
/// </summary>
public sealed class EventProbe<T> : IAsyncDisposable
    where T : class
{
    private readonly ConcurrentQueue<T> _received = new();
    private HostReceiveEndpointHandle _handle = null!;

    public static async Task<EventProbe<T>> StartAsync(IBus bus)
    {
        var probe = new EventProbe<T>();
        probe._handle = bus.ConnectReceiveEndpoint($"test-probe-{typeof(T).Name.ToLowerInvariant()}-{Guid.NewGuid():N}", endpoint =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.Durable = false;
                rabbit.AutoDelete = true;
                rabbit.SetQueueArgument("x-queue-type", "classic");
            }

            endpoint.Handler<T>(context =>
            {
                probe._received.Enqueue(context.Message);
                return Task.CompletedTask;
            });
        });
        await probe._handle.Ready;
        return probe;
    }

    /// <summary>Everything received so far.</summary>
    public IReadOnlyList<T> Received => _received.ToArray();

    public async Task<T> WaitForAsync(Func<T, bool> match, string what)
    {
        T? found = null;
        await Eventually.HoldsAsync(() => Task.FromResult((found = _received.FirstOrDefault(match)) is not null), TimeSpan.FromSeconds(15), what);
        return found!;
    }

    public async ValueTask DisposeAsync() => await _handle.StopAsync();
}
