namespace PrivacySuite.Vault.Tests;

/// <summary>Issue 18, item 2: the vault service's routes answer each role as docs/security.md says.</summary>
public sealed class RouteRolesTests(VaultFactory factory) : RouteRolesTests<Program>(factory, "vault"), IClassFixture<VaultFactory>;
