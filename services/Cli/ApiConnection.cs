using System.Net.Http.Headers;
using System.Text.Json;

namespace PrivacySuite.Cli;

/// <summary>Where the incident API is and who is calling: options first, then environment, then the AppHost's dev credentials.</summary>
public sealed record ApiConnection(Uri BaseAddress, string Token)
{
    public const string ApiVariable = "PRIVACY_API_URL";
    public const string TokenVariable = "PRIVACY_TOKEN";
    public const string CredentialsVariable = "PRIVACY_CREDENTIALS";
    public const string DefaultCredentials = ".suite/credentials.json";

    /// <summary>Resolves the connection, or says what is missing in words an operator can act on.</summary>
    public static ApiConnection Resolve(string? api, string? token, string? credentialsPath, string role)
    {
        api ??= Environment.GetEnvironmentVariable(ApiVariable);
        if (!Uri.TryCreate(api, UriKind.Absolute, out var baseAddress))
        {
            throw new CliException($"No API address: pass --api http://HOST:PORT or set {ApiVariable}.");
        }

        token ??= Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrWhiteSpace(token))
        {
            var path = credentialsPath ?? Environment.GetEnvironmentVariable(CredentialsVariable) ?? DefaultCredentials;
            token = TokenFromCredentials(path, role)
                ?? throw new CliException($"No token: pass --token, set {TokenVariable}, or run from the folder where the AppHost wrote {DefaultCredentials}.");
        }

        return new ApiConnection(baseAddress, token);
    }

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

    public HttpClient CreateHttpClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }
}

/// <summary>A failure the operator can fix; shown as one line, without a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
