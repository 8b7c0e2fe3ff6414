using System.Security.Cryptography;
using System.Text.Json;
using PrivacySuite.AppHost.Hosting;

namespace PrivacySuite.AppHost;

/// <summary>
/// Where the suite keeps what outlives a run: infrastructure data, region roles, generated secrets. Configured by
/// <c>PrivacySuite:StateDir</c> (eng/run.sh passes --state-dir as PrivacySuite__StateDir), <c>.suite/</c> in the
/// repository by default. <c>PrivacySuite:RandomPorts=true</c> picks every port free (tests, two suites side by side).
/// </summary>
public sealed class SuiteState
{
    private const string SecretsFile = "secrets.json";
    private readonly bool _randomPorts;

    public SuiteState(IConfiguration configuration)
    {
        StateDir = Path.GetFullPath(configuration["PrivacySuite:StateDir"] is { Length: > 0 } dir ? dir : Path.Combine(RepositoryRoot(), ".suite"));
        Directory.CreateDirectory(StateDir);
        // The postgres user must reach its data folders below.
        File.SetUnixFileMode(StateDir, (UnixFileMode)0b111_101_101);
        _randomPorts = string.Equals(configuration["PrivacySuite:RandomPorts"], "true", StringComparison.OrdinalIgnoreCase);
    }

    public string StateDir { get; }

    /// <summary>The suite's fixed port (scripts and bookmarks rely on it), or a free one in random-ports mode.</summary>
    public int Port(int fixedPort) => _randomPorts ? Ports.GetFree() : fixedPort;

    /// <summary>
    /// A secret generated on first run and kept in the state folder (mode 600, never in the repository); it reaches the
    /// model as a secret Aspire parameter, so the manifest names it without its value.
    /// </summary>
    public string Secret(string name)
    {
        var path = Path.Combine(StateDir, SecretsFile);
        var secrets = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? []
            : [];
        if (!secrets.TryGetValue(name, out var value))
        {
            value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            secrets[name] = value;
            File.WriteAllText(path, JsonSerializer.Serialize(secrets));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return value;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivacySuite.sln")))
            {
                return dir.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}
