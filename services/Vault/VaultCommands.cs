using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault;

/// <summary>Operator commands run with the service's own configuration: <c>PrivacySuite.Vault verify-access-log</c>.</summary>
public static class VaultCommands
{
    public const string VerifyAccessLog = "verify-access-log";

    public static bool IsCommand(string[] args) => args is [VerifyAccessLog, ..];

    /// <summary>Exit code 0 when the chain is intact, 2 when it is broken; one line on standard output either way.</summary>
    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VaultDbContext>();
        var result = await scope.ServiceProvider.GetRequiredService<AccessLogBook>().VerifyAsync(db, ct);
        await output.WriteLineAsync(result.Valid
            ? $"access log intact: {result.Entries} entries"
            : $"access log BROKEN at position {result.FirstBadPosition}: {result.Problem}");
        return result.Valid ? 0 : 2;
    }
}
