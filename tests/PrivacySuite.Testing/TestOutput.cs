namespace PrivacySuite.Testing;

/// <summary>
/// Infrastructure output of a test run, kept in memory and written to a file only when asked
/// (PRIVACYSUITE_TEST_LOGS=DIR), so a failing run can be read back without flooding the test output.
/// </summary>
public static class TestOutput
{
    private static readonly string? Directory = Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_LOGS");

    public static Action<string> Sink(string resource)
    {
        if (string.IsNullOrEmpty(Directory))
        {
            return _ => { };
        }

        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, $"{resource}-{Environment.ProcessId}.log");
        var sync = new Lock();
        return line =>
        {
            lock (sync)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        };
    }
}
