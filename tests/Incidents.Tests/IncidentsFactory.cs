using PrivacySuite.Testing;

namespace PrivacySuite.Incidents.Tests;

public sealed class IncidentsFactory() : ServiceFactory<Program>("incidentsdb");
