using System.Net.Http.Headers;
using System.Text.Json;
using PrivacySuite.Client;

namespace PrivacySuite.Cli;

/// <summary>
/// Where the incident API is and who is calling: options first, then environment, then the AppHost's dev credentials.
/// <see cref="Regions"/> is the primary region's address, then the standby's: a region that cannot be connected to is skipped.
/// </summary>
public sealed record ApiConnection(IReadOnlyList<Uri> Regions, string Token)
{
    public const string ApiVariable = "PRIVACY_API_URL";
    public const string StandbyVariable = "PRIVACY_STANDBY_API_URL";
    public const string TokenVariable = "PRIVACY_TOKEN";
    public const string CredentialsVariable = "PRIVACY_CREDENTIALS";
    public const string DefaultCredentials = ".suite/credentials.json";

    /// <summary>The AppHost's fixed ports for the incidents service: Beijing (primary at start) 7104, Guangzhou 7204.</summary>
    public static readonly IReadOnlyList<Uri> AppHostRegions = [new("http://localhost:7104"), new("http://localhost:7204")];

    /// <summary>A connect that takes longer than this counts as a region that does not answer.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Resolves the connection, or says what is missing in words an operator can act on.</summary>
    public static ApiConnection Resolve(string? api, string? standby, string? token, string? credentialsPath, string role)
    {
        var credentials = credentialsPath ?? Environment.GetEnvironmentVariable(CredentialsVariable) ?? DefaultCredentials;
        api ??= Environment.GetEnvironmentVariable(ApiVariable);
        standby ??= Environment.GetEnvironmentVariable(StandbyVariable);
        IReadOnlyList<Uri> regions;
        if (api is null && standby is null && File.Exists(credentials))
        {
            // Run from the repository with the AppHost up: its fixed ports, no address needed.
            regions = AppHostRegions;
        }
        else
        {
            regions = [Address(api, "--api", ApiVariable), .. standby is null ? [] : new[] { Address(standby, "--standby-api", StandbyVariable) }];
        }

        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrWhiteSpace(token))
        {
            token = TokenFromCredentials(credentials, role)
                ?? throw new CliException($"No token: pass --token, set {TokenVariable}, or run from the folder where the AppHost wrote {DefaultCredentials}.");
        }

        return new ApiConnection(regions, token);
    }

    private static Uri Address(string? value, string option, string variable) =>
        Uri.TryCreate(value, UriKind.Absolute, out var address) && address.Scheme is "http" or "https"
            ? address
            : throw new CliException(value is null
                ? $"No API address: pass {option} http://HOST:PORT or set {variable}."
                : $"{option} '{value}' is not an http(s) address; give it as http://HOST:PORT.");

    private static string? TokenFromCredentials(string path, string role)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.TryGetProperty("tokens", out var tokens) && tokens.TryGetProperty(role, out var token)
            ? token.GetString()
            : null;
    }

    /// <summary>A client that goes to the primary and falls back to the standby, saying so on <paramref name="error"/>.</summary>
    public HttpClient CreateHttpClient(TextWriter error)
    {
        // The SDK's handler: any request moves on when its connection never opened (the standby passes writes to the primary).
        var handler = new RegionFallbackHandler(Regions, RegionFallbackMode.NeverConnected, moved => error.WriteLine(
                $"The {(moved.FromPrimary ? "primary" : "standby")} region ({moved.From}) does not answer ({moved.Reason}); " +
                $"trying the {(moved.FromPrimary ? "standby" : "primary")} region ({moved.To})."))
        {
            InnerHandler = new SocketsHttpHandler { ConnectTimeout = ConnectTimeout },
        };
        var client = new HttpClient(handler) { BaseAddress = Regions[0], Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }
}

/// <summary>A failure the operator can fix; shown as one line, without a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
