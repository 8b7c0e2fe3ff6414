using PrivacySuite.Incidents.Model;

namespace PrivacySuite.Incidents.Tests;

/// <summary>Pure grading rules: the thresholds of the CAC measures (CLAUSES.md IWK-2.7).</summary>
public sealed class GradingTests
{
    private static IncidentFacts Leak(long people, decimal loss = 0, int outage = 0) => new(people, ["contact"], loss, outage);

    [Theory]
    [Trait("Clause", "IWK-2.7")]
    [InlineData(100_000_000, Grade.I)]
    [InlineData(99_999_999, Grade.II)]
    [InlineData(10_000_000, Grade.II)]
    [InlineData(9_999_999, Grade.III)]
    [InlineData(1_000_000, Grade.III)]
    [InlineData(999_999, Grade.IV)]
    [InlineData(0, Grade.IV)]
    public void People_whose_data_leaked_set_the_grade_at_the_CAC_thresholds(long people, Grade expected)
    {
        var assessment = Grading.Assess(Leak(people));

        Assert.Equal(expected, assessment.Grade);
        Assert.NotEmpty(assessment.Reasons);
    }

    [Theory]
    [Trait("Clause", "IWK-2.7")]
    [InlineData(100_000_000, Grade.I)]
    [InlineData(20_000_000, Grade.II)]
    [InlineData(5_000_000, Grade.III)]
    [InlineData(4_999_999, Grade.IV)]
    public void Economic_loss_sets_the_grade_on_its_own(decimal loss, Grade expected) =>
        Assert.Equal(expected, Grading.Assess(Leak(10, loss)).Grade);

    [Theory]
    [Trait("Clause", "IWK-2.7")]
    [InlineData(24 * 60, Grade.I)]
    [InlineData(6 * 60, Grade.II)]
    [InlineData(2 * 60, Grade.III)]
    [InlineData(119, Grade.IV)]
    public void Outage_of_a_critical_system_sets_the_grade_on_its_own(int minutes, Grade expected) =>
        Assert.Equal(expected, Grading.Assess(Leak(0, 0, minutes)).Grade);

    [Fact]
    [Trait("Clause", "IWK-2.7")]
    public void The_highest_factor_wins_and_only_its_reasons_are_given()
    {
        var assessment = Grading.Assess(Leak(2_000_000, loss: 30_000_000m));

        Assert.Equal(Grade.II, assessment.Grade);
        var reason = Assert.Single(assessment.Reasons);
        Assert.Contains("economic loss", reason);
    }

    [Theory]
    [Trait("Clause", "IWK-2.10")]
    [InlineData(Grade.I, true)]
    [InlineData(Grade.II, true)]
    [InlineData(Grade.III, true)]
    [InlineData(Grade.IV, false)]
    public void Relatively_major_and_above_must_be_reported(Grade grade, bool required) =>
        Assert.Equal(required, Grading.RequiresRegulatorReport(grade));

    [Fact]
    [Trait("Clause", "IWK-2.10")]
    public void Critical_infrastructure_operators_have_one_hour_and_others_four() =>
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromHours(4)), (Grading.ReportWindow(true), Grading.ReportWindow(false)));

    [Fact]
    public void Derived_ids_are_stable_and_distinct()
    {
        var campaign = Guid.NewGuid();

        Assert.Equal(DeterministicIds.Batch(campaign, 7), DeterministicIds.Batch(campaign, 7));
        Assert.NotEqual(DeterministicIds.Batch(campaign, 7), DeterministicIds.Batch(campaign, 8));
        Assert.NotEqual(DeterministicIds.Campaign(campaign), DeterministicIds.Bulletin(campaign));
    }
}
