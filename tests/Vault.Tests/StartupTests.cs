namespace PrivacySuite.Vault.Tests;

public sealed class StartupTests(VaultFactory factory) : ServiceStartupTests<Program>(factory), IClassFixture<VaultFactory>;
