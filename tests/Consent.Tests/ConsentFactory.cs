using PrivacySuite.Testing;

namespace PrivacySuite.Consent.Tests;

public sealed class ConsentFactory() : ServiceFactory<Program>("consentdb");
