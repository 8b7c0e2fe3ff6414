using PrivacySuite.Testing;

namespace PrivacySuite.Retention.Tests;

public sealed class RetentionFactory() : ServiceFactory<Program>("retentiondb");
