namespace PrivacySuite.Retention.Tests;

public sealed class StartupTests(RetentionFactory factory) : ServiceStartupTests<Program>(factory), IClassFixture<RetentionFactory>;
