namespace PrivacySuite.Cli;

/// <summary><c>privacy incident ...</c> and <c>privacy region ...</c>: the on-call team's way to drive incidents and failovers under pressure.</summary>
public static class Entry
{
    public static Task<int> Main(string[] args) =>
        PrivacyCli.RunAsync(args, PrivacyCli.CreateConsole(Console.IsOutputRedirected), connection => connection.CreateHttpClient(Console.Error));
}
