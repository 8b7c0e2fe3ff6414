namespace PrivacySuite.Cli;

/// <summary><c>privacy incident ...</c>: the on-call team's way to drive the incident API under pressure.</summary>
public static class Entry
{
    public static Task<int> Main(string[] args) =>
        PrivacyCli.RunAsync(args, PrivacyCli.CreateConsole(Console.IsOutputRedirected), connection => connection.CreateHttpClient());
}
