using System.Diagnostics;

namespace PrivacySuite.Incidents.Tests;

/// <summary>Issue 21, item 7: <c>dotnet pack</c> gives a tool package that installs as <c>privacy</c> from a local folder.</summary>
public sealed class CliToolTests
{
    [Fact]
    [Trait("Issue", "21")]
    public async Task The_packed_tool_installs_from_a_local_folder_and_answers_help()
    {
        var root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("privacy-tool-");
        try
        {
            var packages = Path.Combine(work.FullName, "packages");
            var tools = Path.Combine(work.FullName, "tools");
            // Only the folder as a package source: the install needs no registry (the tool carries its dependencies).
            var config = Path.Combine(work.FullName, "nuget.config");
            await File.WriteAllTextAsync(config,
                $"<configuration><packageSources><clear /><add key=\"local\" value=\"{packages}\" /></packageSources></configuration>");

            var pack = await DotnetAsync(root, "pack", Path.Combine(root, "services", "Cli"), "-c", "Release", "--no-build", "-o", packages, "-nologo");
            var install = await DotnetAsync(work.FullName, "tool", "install", "PrivacySuite.Cli", "--tool-path", tools, "--configfile", config);
            var help = await RunAsync(work.FullName, Path.Combine(tools, "privacy"), "--help");

            Assert.True(pack.Exit == 0, pack.Output);
            Assert.True(install.Exit == 0, install.Output);
            Assert.True(help.Exit == 0, help.Output);
            Assert.Contains("privacy: the PrivacySuite on-call tool", help.Output);
            Assert.Contains("incident", help.Output);
            Assert.Contains("--standby-api", help.Output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static Task<(int Exit, string Output)> DotnetAsync(string directory, params string[] args) => RunAsync(directory, "dotnet", args);

    private static async Task<(int Exit, string Output)> RunAsync(string directory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await stdout + await stderr);
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

        throw new InvalidOperationException("The tests run outside the repository: PrivacySuite.sln is not above " + AppContext.BaseDirectory);
    }
}
