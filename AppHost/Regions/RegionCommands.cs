using PrivacySuite.AppHost.Hosting;
using PrivacySuite.AppHost.Hosting.Replication;
using PrivacySuite.AppHost.Resources;

namespace PrivacySuite.AppHost.Regions;

/// <summary>
/// Wires the region coordinator into the model: it prepares each cluster before it starts (primary or standby, by
/// the roles in the state folder), and each cluster carries the region operations as commands with a confirmation,
/// usable from the dashboard, the Aspire CLI (<c>aspire resource postgres-guangzhou failover</c>) and tests.
/// </summary>
public static class RegionCommands
{
    public const string Failover = "failover";
    public const string Rejoin = "rejoin";
    public const string KillRegion = "kill-region";
    public const string AcceptLoss = "accept-loss";

    public static void AddRegionCoordination(this IDistributedApplicationBuilder builder, IReadOnlyList<RegionResources> regions, RegionRoles roles)
    {
        EnsureSameJurisdiction(regions);
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RegionCoordinator>(sp, regions, roles));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RegionCoordinator>());

        foreach (var region in regions)
        {
            var cluster = builder.CreateResourceBuilder(region.Postgres);
            builder.Eventing.Subscribe<BeforeResourceStartedEvent>(region.Postgres, (e, ct) =>
                e.Services.GetRequiredService<RegionCoordinator>().PrepareClusterAsync(region.Postgres, ct));

            cluster.WithCommand(Failover, $"Make {region.Name} the primary",
                context => RunAsync(context, c => c.FailoverAsync(region.Name, AcceptsLoss(context), context.CancellationToken)),
                new CommandOptions
                {
                    Arguments =
                    [
                        new InteractionInput
                        {
                            Name = AcceptLoss,
                            Label = "Accept losing acknowledged writes",
                            Description = "Only when the standby has not caught up or replication was asynchronous; the acceptance is recorded.",
                            InputType = InputType.Boolean,
                            Required = false,
                        },
                    ],
                    Description = $"Promote {region.Postgres.Name} and fence the other region's cluster; its services take writes within a second.",
                    ConfirmationMessage = $"Fail over to {region.Name}? The other region's cluster is killed and rebuilt as the standby.",
                    IconName = "ArrowSwap",
                    UpdateState = context => roles.IsPrimary(region.Name) ? ResourceCommandState.Disabled : ResourceCommandState.Enabled,
                });
            cluster.WithCommand(Rejoin, $"Rejoin {region.Name}",
                context => RunAsync(context, async c =>
                {
                    await c.RejoinAsync(region.Name, context.CancellationToken);
                    return $"{region.Name} is starting; its cluster rejoins as the standby.";
                }),
                new CommandOptions
                {
                    Description = $"Start every stopped resource of {region.Name}; its cluster comes back as the standby.",
                    ConfirmationMessage = $"Start every stopped resource of {region.Name}?",
                    IconName = "ArrowSync",
                });
            cluster.WithCommand(KillRegion, $"Kill {region.Name} (drill)",
                context => RunAsync(context, c =>
                {
                    c.KillRegion(region.Name);
                    return Task.FromResult($"Every process of {region.Name} was killed.");
                }),
                new CommandOptions
                {
                    Description = $"SIGKILL every process of {region.Name}, as in the loss of the region. For failover drills.",
                    ConfirmationMessage = $"Kill every process of {region.Name} now? Nothing restarts until you rejoin it.",
                    IconName = "Warning",
                });
        }
    }

    private static bool AcceptsLoss(ExecuteCommandContext context) =>
        context.Arguments is { } arguments && arguments.TryGetByName(AcceptLoss, out var input) &&
        bool.TryParse(input.Value, out var accepted) && accepted;

    private static async Task<ExecuteCommandResult> RunAsync(ExecuteCommandContext context, Func<RegionCoordinator, Task<string>> operation)
    {
        try
        {
            return CommandResults.Success(await operation(context.Services.GetRequiredService<RegionCoordinator>()));
        }
        catch (Exception e) when (e is FailoverRefusedException or HostingException or Npgsql.NpgsqlException or TimeoutException)
        {
            return CommandResults.Failure(e.Message);
        }
    }

    /// <summary>
    /// Residency (INF-2.1, IWK-2.4): a replica copies every subject's data at once, so no subject's separate consent can
    /// cover it; a standby outside the primary's jurisdiction is refused before anything starts.
    /// </summary>
    private static void EnsureSameJurisdiction(IReadOnlyList<RegionResources> regions)
    {
        if (regions.Select(r => r.Jurisdiction).Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
        {
            throw new HostingException(
                $"Refused: regions in {string.Join(" and ", regions.Select(r => $"{r.Name} ({r.Jurisdiction})"))} would replicate every subject's " +
                "personal information across a border (INF-2.1). PIPL Art. 38-39 require each subject's separate consent and a recorded " +
                "transfer basis, which a whole-cluster replica cannot have. Put the standby region in the same jurisdiction.");
        }
    }
}
