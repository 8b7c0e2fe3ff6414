namespace PrivacySuite.Vault.Tests;

/// <summary>Issue 18, item 9: every route of the vault service, attacked from its OpenAPI document.</summary>
public sealed class HostileInputTests(VaultFactory factory) : HostileInputTests<Program>(factory), IClassFixture<VaultFactory>;
