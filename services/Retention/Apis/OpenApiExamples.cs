using PrivacySuite.ServiceDefaults.OpenApi;

namespace PrivacySuite.Retention.Apis;

/// <summary>The examples of the retention service's OpenAPI document (issue 20.4): made-up subjects and references.</summary>
internal static class OpenApiExamples
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    public static readonly IReadOnlyDictionary<string, ApiExample> ByOperation = new Dictionary<string, ApiExample>
    {
        ["PutSchedule"] = new(new PutScheduleRequest(90, "erase", "last-use", "Delivery data: 90 days after the last order (example)."),
            Parameters: new Dictionary<string, string> { ["category"] = "delivery", ["purpose"] = "delivery.offline" }),
        ["PlaceLegalHold"] = new(new PlaceHoldRequest("subj-example-0001", null, "court-order", "CASE-EXAMPLE-2026-001", new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))),
        ["ReleaseLegalHold"] = new(new ReleaseHoldRequest("The example case was closed.")),
        ["StartSweep"] = new(new StartSweepRequest(true)),
        ["CreateTerminationPlan"] = new(new CreateTerminationPlanRequest(new DateTimeOffset(2030, 6, 30, 0, 0, 0, TimeSpan.Zero), "erase", [30, 7])),
        ["CreateTransferPlan"] = new(new CreateTransferPlanRequest("Example Holdings Ltd.", "privacy@holdings.example.com", new DateOnly(2030, 3, 1),
            [DataCategory.Location, DataCategory.Device], "Running the example scooter service as before.", "Example Signatory, General Counsel", "SPA-EXAMPLE-2026 §9.4")),
    };
}
