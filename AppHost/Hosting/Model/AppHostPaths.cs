using System.Reflection;

namespace PrivacySuite.AppHost.Hosting.Model;

/// <summary>Where the repository and the services' build output are, from wherever the AppHost (or a test) runs.</summary>
public static class AppHostPaths
{
    public const string SolutionFile = "PrivacySuite.sln";

    /// <summary>The build configuration of this assembly; services are run from the same one.</summary>
    public static string Configuration { get; } =
        typeof(AppHostPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>services/Consent → services/Consent/bin/Release/net10.0/PrivacySuite.Consent.dll.</summary>
    public static string ProjectAssembly(string projectDirectory)
    {
        var directory = Path.GetFullPath(Path.Combine(RepoRoot, projectDirectory));
        var project = Directory.Exists(directory) ? Directory.EnumerateFiles(directory, "*.csproj").FirstOrDefault() : null;
        if (project is null)
        {
            throw new HostingException($"No project in {directory}.");
        }

        var name = Path.GetFileNameWithoutExtension(project);
        var framework = new DirectoryInfo(AppContext.BaseDirectory).Name; // net10.0, as this assembly
        return Path.Combine(directory, "bin", Configuration, framework, name + ".dll");
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                {
                    return dir.FullName;
                }
            }
        }

        throw new HostingException($"Cannot find {SolutionFile} above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}: run the AppHost from the repository.");
    }
}
