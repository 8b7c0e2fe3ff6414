// The AppHost drives Debian's packages with POSIX signals: it runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
