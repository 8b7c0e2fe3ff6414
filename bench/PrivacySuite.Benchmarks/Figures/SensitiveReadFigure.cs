using PrivacySuite.Client;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Benchmarks.Figures;

/// <summary>
/// Issue 21.3: a product backend reading locations for its own purpose (the subjects' separate consent kept, a step-up
/// token reused as a backend would within its lifetime) against the same backend's reads of a category that needs
/// neither, on the same vault process, purpose and subjects, in alternating rounds.
/// </summary>
public sealed class SensitiveReadFigure : PairedFigure, IFigure
{
    private const string Purpose = "iwalk.service.provide";

    public override string Name => "vault-read-sensitive";

    /// <summary>Issue 21.3 names its goal as part of <c>./eng/bench.sh vault-read</c> (IFigure is declared again so that this maps).</summary>
    public string RunsWith => "vault-read";

    public override string Description =>
        $"vault detokenise of location (second factor + separate consent) vs of device data, same vault and purpose, wrk -c{VaultReadFigure.Connections} for {VaultReadFigure.Duration.TotalSeconds:0} s a side, in alternating rounds.";

    protected override string Goal => ">= 0.5";

    protected override async Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        context.Progress("infrastructure up (PostgreSQL durable, RabbitMQ)");
        var vaultDb = await infrastructure.CreateDatabaseAsync("bench_vault_sensitive");
        var rabbit = await infrastructure.CreateVirtualHostAsync("bench_vault_sensitive");

        var catalogue = await VaultReadFigure.StartCatalogueAsync(Purpose, ["Identity", "Contact", "Device", "Usage", "Location"], cancellationToken);
        var vault = await VaultReadFigure.VaultProcess.StartAsync(context, vaultDb, rabbit, VaultReadFigure.CatalogueAddress(catalogue), cancellationToken);
        var locations = await VaultReadFigure.StoreAsync(vault, "location", cancellationToken);
        var devices = await VaultReadFigure.StoreAsync(vault, "device", cancellationToken);
        await VaultReadFigure.SeedConsentAsync(vaultDb, Purpose, ["location"], cancellationToken);
        context.Progress($"seeded {VaultReadFigure.Subjects} subjects with a location and a device value each");

        // One token for the whole run, as a backend keeps one for its lifetime (10 min covers warm-up and five rounds).
        var stepUp = StepUpToken.Create(DevCredentials.ProductBackendName, vault.Credentials.ProductBackendStepUpKey, Purpose, DateTimeOffset.UtcNow,
            StepUpToken.MaxLifetime);
        var sensitiveHeaders = VaultReadFigure.Headers(vault.Credentials, (StepUpToken.Header, stepUp));
        var plainHeaders = VaultReadFigure.Headers(vault.Credentials);
        await VaultReadFigure.ProbeAsync(context, "location", vault.Address, "/v1/detokenize", locations, Purpose, sensitiveHeaders, cancellationToken);
        await VaultReadFigure.ProbeAsync(context, "device", vault.Address, "/v1/detokenize", devices, Purpose, plainHeaders, cancellationToken);
        var url = new Uri(vault.Address, "/v1/detokenize").ToString();
        var locationScript = VaultReadFigure.Script(locations, Purpose);
        var deviceScript = VaultReadFigure.Script(devices, Purpose);

        await Wrk.RunAsync(url, VaultReadFigure.Connections, VaultReadFigure.Warmup, luaScript: deviceScript, headers: plainHeaders, cancellationToken: cancellationToken);
        await Wrk.RunAsync(url, VaultReadFigure.Connections, VaultReadFigure.Warmup, luaScript: locationScript, headers: sensitiveHeaders, cancellationToken: cancellationToken);
        context.Progress($"warmed up ({VaultReadFigure.Warmup.TotalSeconds:0} s each)");

        return new Pair(
            "location", ct => VaultReadFigure.MeasureAsync(context, "location reads", url, locationScript, sensitiveHeaders, vault.ProcessId, vaultDb, ct),
            "device", ct => VaultReadFigure.MeasureAsync(context, "device reads", url, deviceScript, plainHeaders, vault.ProcessId, vaultDb, ct),
            catalogue, vault);
    }
}
