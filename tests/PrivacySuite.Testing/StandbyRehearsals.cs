using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Data;
using Xunit;

namespace PrivacySuite.Testing;

/// <summary>A service's standby rehearsal, run as a standby's warm-up runs it, on the test's primary (which refuses its writes the same way).</summary>
public static class StandbyRehearsals
{
    /// <summary>Runs the warm-up's rehearsal in a scope of <paramref name="services"/>, checking the service registers exactly one.</summary>
    public static async Task RunTheOneAsync<TDb>(IServiceProvider services)
        where TDb : ServiceDbContext
    {
        await using var scope = services.CreateAsyncScope();
        Assert.Single(scope.ServiceProvider.GetServices<IStandbyRehearsal<TDb>>());
        await StandbyRehearsal.RunAsync<TDb>(scope.ServiceProvider, CancellationToken.None);
    }
}
