namespace PrivacySuite.Consent.Tests;

public sealed class StartupTests(ConsentFactory factory) : ServiceStartupTests<Program>(factory), IClassFixture<ConsentFactory>;
