using System.Net.Http.Headers;

namespace PrivacySuite.Operations.Infrastructure;

/// <summary>What one region's service answered, or why it could not (one region down never blanks a view).</summary>
public sealed record RegionAnswer(string Region, string Resource, string? Error, JsonElement? Data);

/// <summary>
/// Reads the services' own read APIs (services:{service}-{region}:http:0) with the console's bearer token, as an
/// operator would. Both regions hold the same rows (replication), so the primary's service is asked and the standby's
/// only when the primary's does not answer: every row shows once.
/// </summary>
public sealed class ServiceReader(HttpClient http, IConfiguration configuration, IOptions<OperationsOptions> options,
    ClusterReader clusters, ILogger<ServiceReader> logger)
{
    public async Task<IReadOnlyList<RegionAnswer>> PrimaryOrStandbyAsync(string service, string path, CancellationToken ct)
    {
        var answers = new List<RegionAnswer>();
        foreach (var region in await clusters.PrimaryFirstAsync(ct))
        {
            var answer = await GetAsync(service, region, path, ct);
            answers.Add(answer);
            if (answer.Error is null)
            {
                return [answer];
            }
        }

        return answers;
    }

    private async Task<RegionAnswer> GetAsync(string service, string region, string path, CancellationToken ct)
    {
        var resource = $"{service}-{region}";
        if (configuration[$"services:{resource}:http:0"] is not { Length: > 0 } baseUrl)
        {
            return new RegionAnswer(region, resource, $"{resource} is not configured (services:{resource}:http:0)", null);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(baseUrl), path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.Token);
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                Log.SourceFailed(logger, resource, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return new RegionAnswer(region, resource, $"{resource} answered {(int)response.StatusCode} to GET {path}", null);
            }

            return new RegionAnswer(region, resource, null, await response.Content.ReadFromJsonAsync<JsonElement>(ct));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or Polly.Timeout.TimeoutRejectedException && !ct.IsCancellationRequested)
        {
            Log.SourceFailed(logger, resource, e.GetType().Name);
            return new RegionAnswer(region, resource, $"{resource} did not answer GET {path} ({e.GetType().Name})", null);
        }
    }
}
