using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace PrivacySuite.ServiceDefaults.OpenApi;

/// <summary>
/// An operation's examples: its request body and its answers by status, as the service's own request and response
/// types, so an example that no longer compiles against the contract cannot be documented; and path or query values
/// where a made-up one would not do. Obviously fake values only.
/// </summary>
public sealed record ApiExample(object? Request = null, IReadOnlyDictionary<int, object>? Responses = null, IReadOnlyDictionary<string, string>? Parameters = null);

/// <summary>The examples of a service, by operation name (<c>WithName</c>); each service keeps them in <c>Apis/OpenApiExamples.cs</c>.</summary>
public sealed class ApiExampleOptions
{
    public Dictionary<string, ApiExample> ByOperation { get; } = new(StringComparer.Ordinal);
}

public static class ApiExampleExtensions
{
    public static IServiceCollection AddApiExamples(this IServiceCollection services, IReadOnlyDictionary<string, ApiExample> examples) =>
        services.Configure<ApiExampleOptions>(o =>
        {
            foreach (var (operation, example) in examples)
            {
                o.ByOperation.Add(operation, example);
            }
        });
}

/// <summary>
/// Writes each operation's <see cref="ApiExample"/> into its document, serialized with the options the service reads
/// and writes JSON with. An example for an operation the document does not have fails the document: it was renamed.
/// </summary>
internal sealed class ApiExamples : IOpenApiOperationTransformer, IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var examples = context.ApplicationServices.GetRequiredService<IOptions<ApiExampleOptions>>().Value.ByOperation;
        if (operation.OperationId is null || !examples.TryGetValue(operation.OperationId, out var example))
        {
            return Task.CompletedTask;
        }

        var json = context.ApplicationServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        if (example.Request is not null)
        {
            var media = (operation.RequestBody?.Content is { } content && content.TryGetValue("application/json", out var found) ? found : null)
                ?? throw new InvalidOperationException($"{operation.OperationId} has a request example but takes no JSON body.");
            // A field left out reads as null: the example shows only what is sent.
            media.Example = WithoutNulls(JsonSerializer.SerializeToNode(example.Request, example.Request.GetType(), json));
        }

        foreach (var (name, value) in example.Parameters ?? new Dictionary<string, string>())
        {
            var parameter = operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name)
                ?? throw new InvalidOperationException($"{operation.OperationId} has an example for parameter {name}, which it does not take.");
            parameter.Example = JsonValue.Create(value);
        }

        foreach (var (status, body) in example.Responses ?? new Dictionary<int, object>())
        {
            var response = (operation.Responses is { } responses && responses.TryGetValue(status.ToString(CultureInfo.InvariantCulture), out var found) ? found : null)
                ?? throw new InvalidOperationException($"{operation.OperationId} has an example for status {status}, which it does not answer.");
            var media = response.Content?.Values.FirstOrDefault()
                ?? throw new InvalidOperationException($"{operation.OperationId} answers {status} without a body to give an example of.");
            media.Example = JsonSerializer.SerializeToNode(body, body.GetType(), json);
        }

        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var operations = document.Paths?.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).Select(o => o.OperationId).ToHashSet() ?? [];
        var unknown = context.ApplicationServices.GetRequiredService<IOptions<ApiExampleOptions>>().Value.ByOperation.Keys
            .Where(k => !operations.Contains(k)).Order(StringComparer.Ordinal).ToList();
        return unknown.Count == 0
            ? Task.CompletedTask
            : throw new InvalidOperationException($"Examples for operations the service does not have: {string.Join(", ", unknown)}.");
    }

    private static JsonNode? WithoutNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    if (value is null)
                    {
                        o.Remove(name);
                    }
                    else
                    {
                        WithoutNulls(value);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    WithoutNulls(item);
                }

                break;
        }

        return node;
    }
}
