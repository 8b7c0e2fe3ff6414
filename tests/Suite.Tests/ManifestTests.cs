using System.Text.Json;
using PrivacySuite.AppHost.Hosting;

namespace PrivacySuite.Suite.Tests;

/// <summary>./eng/publish.sh: the AppHost's Aspire manifest describes the topology, with secrets as parameters and never their values.</summary>
public sealed class ManifestTests
{
    [Fact]
    public async Task The_manifest_names_every_resource_and_carries_secrets_only_as_parameters()
    {
        var stateDir = SuiteFixture.NewStateDir();
        var output = Path.Combine(stateDir, "manifest");
        var appHost = Path.Combine(RepositoryRoot(), "AppHost", "bin", Configuration(), "net10.0", "PrivacySuite.AppHost.dll");

        var (code, log) = await ChildProcess.RunAsync("dotnet", [appHost, "--publisher", "manifest", "--output-path", output],
            new Dictionary<string, string?> { ["PrivacySuite__StateDir"] = stateDir, ["HOME"] = Environment.GetEnvironmentVariable("HOME") },
            TimeSpan.FromSeconds(120));

        Assert.True(code == 0, log);
        var text = await File.ReadAllTextAsync(Path.Combine(output, "aspire-manifest.json"));
        var resources = JsonDocument.Parse(text).RootElement.GetProperty("resources");
        foreach (var name in PrivacySuite.FailoverDrill.RunningSuite.ResourceNames)
        {
            Assert.True(resources.TryGetProperty(name, out _), $"{name} is missing from the manifest");
        }

        Assert.Equal("project.v0", resources.GetProperty("vault-guangzhou").GetProperty("type").GetString());
        Assert.Equal("{vaultdb-guangzhou.connectionString}", resources.GetProperty("vault-guangzhou").GetProperty("env").GetProperty("ConnectionStrings__vaultdb").GetString());
        foreach (var secret in new[] { "postgres-password", "rabbitmq-password", "service-signing-key", "operations-password", "operations-token", "vault-db-password", "vault-rabbitmq-password",
                     "smtp-password", "notifications-contact-key", "notifications-webhook-key", "privacy-centre-signing-key" })
        {
            var parameter = resources.GetProperty(secret);
            Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
            Assert.True(parameter.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        }

        // The values generated into the state folder never reach the manifest.
        var secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(Path.Combine(stateDir, "secrets.json")))!;
        var credentials = PrivacySuite.ServiceDefaults.Auth.DevCredentials.LoadOrCreate(stateDir);
        Assert.All(secrets.Values.Append(credentials.ServicePrivateKey).Append(credentials.IssuerPrivateKey).Append(credentials.ProductBackendApiKey)
                .Append(credentials.PrivacyCentrePrivateKey),
            value => Assert.DoesNotContain(value, text, StringComparison.Ordinal));
        Directory.Delete(stateDir, recursive: true);
    }

    private static string Configuration() => AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivacySuite.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PrivacySuite.sln not found above the test's folder.");
    }
}
