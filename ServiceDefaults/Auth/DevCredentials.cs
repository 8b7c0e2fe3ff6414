using System.Text.Json;

namespace PrivacySuite.ServiceDefaults.Auth;

/// <summary>
/// Development credentials, generated on first run into the state folder (never committed), held by the AppHost and by
/// tests, never by a service: the development issuer of people's tokens (its private key signs them; services get
/// only its public key), the services' token key, one API key for a sample product backend with the key it signs its
/// step-up tokens with, the privacy centre's key for the tokens of the people who sign in there, and bearer tokens for
/// the people's roles.
/// </summary>
public sealed record DevCredentials(string IssuerPrivateKey, string ServicePrivateKey, string ProductBackendApiKey, string ProductBackendStepUpKey,
    string PrivacyCentrePrivateKey)
{
    public const string FileName = "credentials.json";

    /// <summary>The <c>iss</c> of people's tokens in development and tests.</summary>
    public const string Issuer = "privacysuite-dev-issuer";

    public const string Audience = "privacysuite";

    public const string ProductBackendName = "dev-product-backend";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static DevCredentials Generate() => new(
        SuiteTokens.NewKeyPair().PrivateKey,
        SuiteTokens.NewKeyPair().PrivateKey,
        "psk_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)),
        SuiteTokens.NewKeyPair().PrivateKey,
        SuiteTokens.NewKeyPair().PrivateKey);

    /// <summary>Reads the file in <paramref name="stateDir"/>, or creates it (mode 600) when it is missing or of an older kind.</summary>
    public static DevCredentials LoadOrCreate(string stateDir)
    {
        var path = Path.Combine(stateDir, FileName);
        if (File.Exists(path))
        {
            var stored = JsonSerializer.Deserialize<StoredCredentials>(File.ReadAllText(path), Json);
            if (stored is { IssuerPrivateKey.Length: > 0, ServicePrivateKey.Length: > 0, ProductBackendApiKey.Length: > 0, ProductBackendStepUpKey.Length: > 0,
                    PrivacyCentrePrivateKey.Length: > 0 } &&
                new[] { stored.IssuerPrivateKey, stored.ServicePrivateKey, stored.ProductBackendStepUpKey, stored.PrivacyCentrePrivateKey }
                    .All(k => SuiteTokens.ReadPrivateKey(k) is not null))
            {
                return new DevCredentials(stored.IssuerPrivateKey, stored.ServicePrivateKey, stored.ProductBackendApiKey, stored.ProductBackendStepUpKey,
                    stored.PrivacyCentrePrivateKey);
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
        File.WriteAllText(path, JsonSerializer.Serialize(new StoredCredentials(IssuerPrivateKey, ServicePrivateKey, ProductBackendApiKey, ProductBackendStepUpKey,
            PrivacyCentrePrivateKey, tokens), Json));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>A person's token from the development issuer.</summary>
    public string IssueToken(string subject, IEnumerable<string> roles, TimeSpan? lifetime = null) =>
        SuiteTokens.Issue(SuiteTokens.ReadPrivateKey(IssuerPrivateKey)!, Issuer, Audience, subject, roles, DateTimeOffset.UtcNow,
            lifetime ?? TimeSpan.FromHours(12));

    /// <summary>
    /// A subject's token as the privacy centre mints it when they sign in (role subject, for that subject only), or for a
    /// guardian (<paramref name="actor"/>) acting for the minor <paramref name="subjectId"/>.
    /// </summary>
    public string IssuePrivacyCentreToken(string subjectId, TimeSpan? lifetime = null, string? actor = null) =>
        SuiteTokens.Issue(SuiteTokens.ReadPrivateKey(PrivacyCentrePrivateKey)!, SuiteAuthOptions.PrivacyCentreIssuer, Audience, subjectId, [SuiteRoles.Subject],
            DateTimeOffset.UtcNow, lifetime ?? TimeSpan.FromMinutes(30), actor);

    /// <summary>A service token for <paramref name="serviceName"/>, as that service's <c>AddServiceIdentity()</c> signs it.</summary>
    public string IssueServiceToken(string serviceName, TimeSpan? lifetime = null) =>
        SuiteTokens.Issue(SuiteTokens.ReadPrivateKey(ServicePrivateKey)!, SuiteAuthOptions.ServiceIssuer, Audience, serviceName, [SuiteRoles.Service],
            DateTimeOffset.UtcNow, lifetime ?? TimeSpan.FromMinutes(10));

    /// <summary>What a service accepts as a service token, for stand-ins of services in tests and benchmarks.</summary>
    public Task<TokenClaims?> ValidateServiceTokenAsync(string token, TimeProvider? time = null) =>
        SuiteTokens.ValidateAsync(token, SuiteTokens.ValidationParameters(
            SuiteAuthOptions.ServiceIssuer, Audience, () => SuiteTokens.ReadPublicKey(SuiteTokens.PublicKeyOf(ServicePrivateKey)), time ?? TimeProvider.System));

    /// <summary>
    /// The configuration a service needs, as environment-style keys: the issuer's and the privacy centre's public keys
    /// (never their private keys), the service key the service signs its own calls with, and the API keys by hash.
    /// </summary>
    public IReadOnlyDictionary<string, string> ToEnvironment() => new Dictionary<string, string>
    {
        ["PrivacySuite__Auth__Issuer"] = Issuer,
        ["PrivacySuite__Auth__IssuerKey"] = SuiteTokens.PublicKeyOf(IssuerPrivateKey),
        ["PrivacySuite__Auth__Audience"] = Audience,
        ["PrivacySuite__Auth__SigningKey"] = ServicePrivateKey,
        ["PrivacySuite__Auth__ServiceKey"] = SuiteTokens.PublicKeyOf(ServicePrivateKey),
        ["PrivacySuite__Auth__PrivacyCentreKey"] = SuiteTokens.PublicKeyOf(PrivacyCentrePrivateKey),
        ["PrivacySuite__Auth__ApiKeys__0__Name"] = ProductBackendName,
        ["PrivacySuite__Auth__ApiKeys__0__Role"] = SuiteRoles.ProductBackend,
        ["PrivacySuite__Auth__ApiKeys__0__Sha256"] = AuthenticationExtensions.Sha256Hex(ProductBackendApiKey),
        ["PrivacySuite__Auth__ApiKeys__0__StepUpKey"] = SuiteTokens.PublicKeyOf(ProductBackendStepUpKey),
    };

    private sealed record StoredCredentials(string? IssuerPrivateKey, string? ServicePrivateKey, string ProductBackendApiKey, string? ProductBackendStepUpKey,
        string? PrivacyCentrePrivateKey, Dictionary<string, string>? Tokens);
}
