using System.Text.RegularExpressions;
using PrivacySuite.Notifications.Channels;

namespace PrivacySuite.Notifications.Model;

/// <summary>
/// A page to the on-call person: what it is about, and its rounds until someone acknowledges it. Each round is a notice
/// request of type <c>on-call-page</c> (id <see cref="Paging.RoundId"/>) with a delivery per person paged.
/// </summary>
public sealed class OnCallPage
{
    public Guid PageId { get; set; }

    public string Kind { get; set; } = "";

    public string Reference { get; set; } = "";

    public string WhatZhCn { get; set; } = "";

    public string WhatEn { get; set; } = "";

    public DateTimeOffset RaisedAt { get; set; }

    public int Rounds { get; set; }

    public DateTimeOffset NextRoundAt { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    /// <summary>The acknowledging caller's id (their token's subject).</summary>
    public string? AcknowledgedBy { get; set; }
}
