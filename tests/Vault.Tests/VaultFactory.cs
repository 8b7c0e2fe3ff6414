using PrivacySuite.Testing;

namespace PrivacySuite.Vault.Tests;

public sealed class VaultFactory() : ServiceFactory<Program>("vaultdb");
