using System.Security.Cryptography;
using System.Text.Json;

namespace PrivacySuite.ServiceDefaults.Auth;

/// <summary>
/// Development credentials, generated on first run into the state folder (never committed): the token signing key,
/// one API key for a sample product backend, and bearer tokens for the people's roles.
/// </summary>
public sealed record DevCredentials(string SigningKey, string ProductBackendApiKey)
{
    public const string FileName = "credentials.json";
    private const string ProductBackendName = "dev-product-backend";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static DevCredentials Generate() => new(
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        "psk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));

    /// <summary>Reads the file in <paramref name="stateDir"/>, or creates it (mode 600) when it is missing.</summary>
    public static DevCredentials LoadOrCreate(string stateDir)
    {
        var path = Path.Combine(stateDir, FileName);
        if (File.Exists(path))
        {
            var stored = JsonSerializer.Deserialize<StoredCredentials>(File.ReadAllText(path), Json);
            if (stored is { SigningKey.Length: > 0, ProductBackendApiKey.Length: > 0 })
            {
                return new DevCredentials(stored.SigningKey, stored.ProductBackendApiKey);
            }
        }

        var created = Generate();
        created.Save(stateDir);
        return created;
    }

    public void Save(string stateDir)
    {
        Directory.CreateDirectory(stateDir);
        var path = Path.Combine(stateDir, FileName);
        var tokens = SuiteRoles.All.Where(r => r != SuiteRoles.ProductBackend)
            .ToDictionary(r => r, r => IssueToken($"dev-{r}", [r], TimeSpan.FromDays(30)));
        File.WriteAllText(path, JsonSerializer.Serialize(new StoredCredentials(SigningKey, ProductBackendApiKey, tokens), Json));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public string IssueToken(string subject, IEnumerable<string> roles, TimeSpan? lifetime = null) =>
        BearerTokens.Issue(Convert.FromBase64String(SigningKey), subject, roles, lifetime ?? TimeSpan.FromHours(12));

    /// <summary>The configuration a service needs to accept these credentials, as environment-style keys.</summary>
    public IReadOnlyDictionary<string, string> ToEnvironment() => new Dictionary<string, string>
    {
        ["PrivacySuite__Auth__SigningKey"] = SigningKey,
        ["PrivacySuite__Auth__ApiKeys__0__Name"] = ProductBackendName,
        ["PrivacySuite__Auth__ApiKeys__0__Role"] = SuiteRoles.ProductBackend,
        ["PrivacySuite__Auth__ApiKeys__0__Sha256"] = AuthenticationExtensions.Sha256Hex(ProductBackendApiKey),
    };

    private sealed record StoredCredentials(string SigningKey, string ProductBackendApiKey, Dictionary<string, string>? Tokens);
}
