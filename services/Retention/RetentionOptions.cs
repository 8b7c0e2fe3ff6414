using System.ComponentModel.DataAnnotations;
using PrivacySuite.Retention.Model;

namespace PrivacySuite.Retention;

/// <summary>Configuration section <c>PrivacySuite:Retention</c>; the defaults work.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "PrivacySuite:Retention";

    /// <summary>Whether sweeps start by themselves every <see cref="SweepInterval"/> (on-demand sweeps always work).</summary>
    public bool ScheduledSweeps { get; set; } = true;

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the worker looks for due work when nothing woke it (real time, not the injected clock).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whole subjects per sweep transaction (one statement decides and removes them all).</summary>
    [Range(1, 50_000)]
    public int SubjectsPerBatch { get; set; } = 5_000;

    /// <summary>Subjects per <see cref="RemovalsRequested"/> (one sweep item): the vault handles one request in one transaction.</summary>
    [Range(1, 1_000)]
    public int RemovalsPerMessage { get; set; } = 200;

    /// <summary>A pause between sweep batches, to leave the database to other work during a long sweep.</summary>
    public TimeSpan PauseBetweenBatches { get; set; } = TimeSpan.Zero;

    /// <summary>Subjects per batch of termination notices.</summary>
    [Range(1, 10_000)]
    public int NoticesPerBatch { get; set; } = 500;

    /// <summary>IWK-2.5: data is kept this many months after the account is cancelled.</summary>
    [Range(1, 12)]
    public int CancellationMonths { get; set; } = 1;

    /// <summary><c>erase</c> or <c>anonymise</c> at the end of the cancellation month.</summary>
    [AllowedValues("erase", "anonymise")]
    public string CancellationAction { get; set; } = RetentionActions.Erase;

    /// <summary>IWK-2.6: the least notice before the service ends.</summary>
    [Range(30, 3650)]
    public int MinimumTerminationNoticeDays { get; set; } = 30;

    /// <summary>INF-5.3: the least notice before personal information is transferred to another controller.</summary>
    [Range(1, 3650)]
    public int MinimumTransferNoticeDays { get; set; } = 30;

    /// <summary>The product's name in termination notices (IWK-2.6).</summary>
    [Required, StringLength(100, MinimumLength = 1)]
    public string ServiceName { get; set; } = "PrivacySuite";

    /// <summary>Where a subject exports their data before the service ends; named in termination notices.</summary>
    [Required]
    public Uri DataExportUrl { get; set; } = new("https://privacy.privacysuite.local/export");

    /// <summary>
    /// The page where a cancelled account's person follows its removal and reads its certificate (the privacy centre's
    /// <c>receipt.html</c>): the cancellation notice links to it with the receipt's id as the fragment, which browsers never send.
    /// </summary>
    [Required]
    public Uri CancellationReceiptUrl { get; set; } = new("https://privacy.privacysuite.local/receipt.html");

    /// <summary>Where a subject checks a deletion certificate: the certificate id is appended (ends with a slash).</summary>
    [Required]
    public Uri CertificateBaseUrl { get; set; } = new("https://privacy.privacysuite.local/deletion-certificates/");

    /// <summary>A removal request the vault has not answered for this long pages the on-call person (issue 21.5).</summary>
    public TimeSpan StuckRemovalsAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Regions named on a deletion certificate when the vault's answer does not list them.</summary>
    public Region[] Regions { get; set; } = [Region.Beijing, Region.Guangzhou];
}
