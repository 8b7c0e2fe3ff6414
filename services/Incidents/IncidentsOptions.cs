using System.ComponentModel.DataAnnotations;

namespace PrivacySuite.Incidents;

/// <summary>Configuration section <c>PrivacySuite:Incidents</c>.</summary>
public sealed class IncidentsOptions
{
    public const string SectionName = "PrivacySuite:Incidents";

    public const string CriticalInfrastructure = "critical-infrastructure";
    public const string General = "general";

    /// <summary>The operator's name as it appears in regulator reports.</summary>
    [Required, StringLength(200)]
    public string OperatorName { get; set; } = "PrivacySuite operator";

    /// <summary><c>critical-infrastructure</c> (1 h to report) or <c>general</c> (4 h) under the CAC measures (IWK-2.10).</summary>
    [Required, AllowedValues(CriticalInfrastructure, General)]
    public string OperatorType { get; set; } = General;

    /// <summary>From this many affected subjects a public bulletin is published besides the notices (IWK-2.9).</summary>
    [Range(1, long.MaxValue)]
    public long BulletinThreshold { get; set; } = 100_000;

    /// <summary>Subjects asked of the vault per page; each page becomes one notice batch. The vault serves at most 5,000.</summary>
    [Range(1, 5_000)]
    public int VaultPageSize { get; set; } = 5_000;

    /// <summary>How often the campaign planner and the regulator clock look for work.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan WorkerInterval { get; set; } = TimeSpan.FromSeconds(5);

    public bool IsCriticalInfrastructureOperator => OperatorType == CriticalInfrastructure;
}
