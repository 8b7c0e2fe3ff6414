using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PrivacySuite.Consent.Model;

/// <summary>A public key in JWK form (RFC 7517), as served at <c>/v1/receipts/keys</c>.</summary>
public sealed record ReceiptJwk(
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y,
    [property: JsonPropertyName("kid")] string Kid,
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("use")] string Use);

/// <summary>
/// Signs consent receipts as compact JWS (ES256, ECDSA P-256 with SHA-256), so that a product backend can verify one
/// offline with the published public key. The key lives in the service's database: created once (under an advisory
/// lock, so two replicas starting together agree), it survives restarts and replicates to the standby region.
/// </summary>
public sealed class ReceiptSigner(IServiceScopeFactory scopes, TimeProvider time)
{
    private const long KeyLockId = 0x434F_4E53_454E_544B; // "CONSENTK"
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _load = new(1, 1);
    private (ECDsa Key, ReceiptJwk Jwk)? _current;

    public async Task<string> SignAsync<T>(T payload, CancellationToken cancellationToken)
    {
        var (key, jwk) = await CurrentAsync(cancellationToken);
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", typ = "consent-receipt+jws", kid = jwk.Kid }, Json));
        var body = Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload, Json));
        var signingInput = $"{header}.{body}";
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return $"{signingInput}.{Base64Url(signature)}";
    }

    public async Task<IReadOnlyList<ReceiptJwk>> PublicKeysAsync(CancellationToken cancellationToken)
    {
        await CurrentAsync(cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ConsentDbContext>();
        var rows = await db.ReceiptKeys.AsNoTracking().OrderBy(k => k.CreatedAt).Select(k => k.PublicJwk).ToListAsync(cancellationToken);
        return rows.Select(r => JsonSerializer.Deserialize<ReceiptJwk>(r)!).ToList();
    }

    private async Task<(ECDsa Key, ReceiptJwk Jwk)> CurrentAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current)
        {
            return current;
        }

        await _load.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } loaded)
            {
                return loaded;
            }

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ConsentDbContext>();
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"select pg_advisory_xact_lock({KeyLockId})", cancellationToken);
            var row = await db.ReceiptKeys.OrderByDescending(k => k.CreatedAt).FirstOrDefaultAsync(cancellationToken);
            if (row is null)
            {
                using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var jwk = ToJwk(fresh);
                row = new ReceiptKey
                {
                    KeyId = jwk.Kid,
                    PrivateKey = fresh.ExportPkcs8PrivateKey(),
                    PublicJwk = JsonSerializer.Serialize(jwk),
                    CreatedAt = time.GetUtcNow(),
                };
                db.ReceiptKeys.Add(row);
                await db.SaveChangesAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(row.PrivateKey, out _);
            _current = (key, JsonSerializer.Deserialize<ReceiptJwk>(row.PublicJwk)!);
            return _current.Value;
        }
        finally
        {
            _load.Release();
        }
    }

    private static ReceiptJwk ToJwk(ECDsa key)
    {
        var p = key.ExportParameters(false);
        var x = Base64Url(p.Q.X!);
        var y = Base64Url(p.Q.Y!);
        // RFC 7638 thumbprint: the required members in lexicographic order, no spaces.
        var thumbprint = SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}"));
        return new ReceiptJwk("EC", "P-256", x, y, Base64Url(thumbprint), "ES256", "sig");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
