using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PrivacySuite.Cli;

/// <summary>A time as the regulator reads it (China Standard Time) and as the systems log it (UTC).</summary>
public sealed record Instant(DateTimeOffset Utc, DateTimeOffset Cst)
{
    // China has kept one offset all year since 1991: a fixed +08:00 needs no time-zone database on the machine.
    public static readonly TimeSpan CstOffset = TimeSpan.FromHours(8);

    public static Instant Of(DateTimeOffset value) => new(value.ToUniversalTime(), value.ToOffset(CstOffset));

    public static Instant? Of(DateTimeOffset? value) => value is { } v ? Of(v) : null;

    public override string ToString() =>
        $"{Cst.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} CST ({Utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC)";
}

public sealed record ReportField(string Name, string LabelZh, string LabelEn, string? Value);

public sealed record FiledReport(string Kind, Instant FiledAt, string FiledBy, bool Complete, IReadOnlyList<ReportField> Fields);

public sealed record ReportTimelineLine(Instant At, string Actor, string Kind, string Detail);

/// <summary>How far telling the subjects (IWK-2.8) and the public (IWK-2.9) has come.</summary>
public sealed record NoticesSummary(
    string Status, IReadOnlyList<string> Categories, Instant StartedAt, Instant? PlannedAt, long SubjectsPlanned, long Delivered, long Failed,
    Instant? BulletinRequestedAt, string? BulletinReason);

/// <summary>The regulator report of an incident (IWK-2.10): every report filed, the clock and the timeline, ready to submit.</summary>
public sealed record RegulatorReportExport(
    Guid IncidentId, string Title, string Type, string Place, string Status, string? Grade, IReadOnlyList<string> GradeReasons,
    Instant AwareAt, Instant? ReportDueAt, Instant? FirstReportAt, Instant? ReportCompletedAt, Instant? FinalSummaryDueAt, Instant? FinalSummaryAt,
    Instant ExportedAt, IReadOnlyList<FiledReport> Reports, NoticesSummary? Notices, IReadOnlyList<ReportTimelineLine> Timeline)
{
    // The fields of the CAC measures' content list, in the order of the API's ReportContent, with the labels a filing uses.
    private static readonly (string Name, string Zh, string En)[] Fields =
    [
        ("operator", "报告单位", "Operator"),
        ("occurredAt", "发生时间", "Occurred at"),
        ("place", "发生地点", "Place"),
        ("typeAndGrade", "事件类型和级别", "Type and grade"),
        ("impact", "影响和危害", "Impact"),
        ("measures", "已采取的措施", "Measures taken"),
        ("measuresEffect", "措施效果", "Effect of the measures"),
        ("trend", "发展态势", "Trend"),
        ("preliminaryCause", "初步原因", "Preliminary cause"),
        ("clues", "线索", "Clues"),
        ("nextSteps", "下一步工作", "Next steps"),
        ("supportNeeded", "需要的支持", "Support needed"),
    ];

    private static readonly Dictionary<string, string> KindsZh = new() { ["Initial"] = "初报", ["Update"] = "续报", ["Final"] = "总结报告" };

    public static RegulatorReportExport From(Incident i, DateTimeOffset now)
    {
        if (i.Reports.Count == 0)
        {
            throw new CliException($"Incident {i.Id} has no regulator report filed yet: file one with 'privacy incident report {i.Id}' (see it first with --draft).");
        }

        return new RegulatorReportExport(
            i.Id, i.Title, i.Type, i.Place, i.Status, i.Grade, i.GradeReasons,
            Instant.Of(i.AwareAt), Instant.Of(i.Clock.ReportDueAt), Instant.Of(i.Clock.FirstReportAt), Instant.Of(i.Clock.ReportCompletedAt),
            Instant.Of(i.Clock.FinalSummaryDueAt), Instant.Of(i.Clock.FinalSummaryAt), Instant.Of(now),
            i.Reports.Select(r => new FiledReport(r.Kind, Instant.Of(r.FiledAt), r.FiledBy, r.Complete, Fields.Select(f => new ReportField(f.Name, f.Zh, f.En, Value(r.Content, f.Name))).ToList())).ToList(),
            i.Notices is { } c
                ? new NoticesSummary(c.Status, c.Categories, Instant.Of(c.StartedAt), Instant.Of(c.PlannedAt), c.SubjectsPlanned, c.Delivered, c.Failed,
                    Instant.Of(c.Bulletin?.RequestedAt), c.Bulletin?.Reason)
                : null,
            i.Timeline.Select(t => new ReportTimelineLine(Instant.Of(t.At), t.Actor, t.Kind, t.Detail)).ToList());
    }

    private static string? Value(JsonElement content, string name) =>
        !content.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : name == "occurredAt" && value.TryGetDateTimeOffset(out var at) ? Instant.Of(at).ToString()
        : value.ToString();

    /// <summary>The document to submit: Markdown, labels in Chinese and English, every time in CST with UTC beside it.</summary>
    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# 网络安全事件报告 / Cybersecurity incident report").AppendLine();
        md.AppendLine("| 项目 Item | 内容 Content |").AppendLine("|---|---|");
        Row(md, "事件编号 Incident", IncidentId.ToString());
        Row(md, "事件名称 Title", Title);
        Row(md, "事件类型 Type", Type);
        Row(md, "发生地点 Place", Place);
        Row(md, "事件级别 Grade", Grade is null ? "未定级 not graded" : $"{Grade}: {string.Join("; ", GradeReasons)}");
        Row(md, "当前状态 Status", Status);
        Row(md, "发现时间 Aware at", AwareAt.ToString());
        Row(md, "报告期限 Report due", ReportDueAt?.ToString());
        Row(md, "首次报告 First report", FirstReportAt?.ToString());
        Row(md, "报告完整 Report complete", ReportCompletedAt?.ToString());
        Row(md, "总结报告期限 Final summary due", FinalSummaryDueAt?.ToString());
        Row(md, "总结报告 Final summary filed", FinalSummaryAt?.ToString());
        Row(md, "导出时间 Exported at", ExportedAt.ToString());
        foreach (var (report, number) in Reports.Select((r, n) => (r, n + 1)))
        {
            md.AppendLine().AppendLine($"## {number}. {KindsZh.GetValueOrDefault(report.Kind, report.Kind)} / {report.Kind} report").AppendLine();
            md.AppendLine($"报送时间 Filed at: {report.FiledAt} · 报送人 Filed by: {Escape(report.FiledBy)} · " +
                $"{(report.Complete ? "内容完整 complete" : "内容待补充 to be completed")}").AppendLine();
            md.AppendLine("| 项目 Field | 内容 Content |").AppendLine("|---|---|");
            foreach (var field in report.Fields)
            {
                Row(md, $"{field.LabelZh} {field.LabelEn}", field.Value ?? "待补充 to be completed");
            }
        }

        md.AppendLine().AppendLine("## 告知情况 / Notices to subjects").AppendLine();
        if (Notices is not { } n)
        {
            md.AppendLine("尚未告知 Not started.");
        }
        else
        {
            md.AppendLine("| 项目 Item | 内容 Content |").AppendLine("|---|---|");
            Row(md, "状态 Status", n.Status);
            Row(md, "数据类别 Data categories", string.Join(", ", n.Categories));
            Row(md, "开始 Started", n.StartedAt.ToString());
            Row(md, "全部请求发送 All batches requested", n.PlannedAt?.ToString());
            Row(md, "告知对象 Subjects", Count(n.SubjectsPlanned));
            Row(md, "已送达 / 未送达 Delivered / failed", $"{Count(n.Delivered)} / {Count(n.Failed)}");
            Row(md, "公告 Public bulletin", n.BulletinRequestedAt is { } at ? $"{at} ({n.BulletinReason})" : "无 none");
        }

        md.AppendLine().AppendLine("## 处置时间线 / Timeline").AppendLine();
        md.AppendLine("| 时间 Time | 人员 Who | 事项 What | 详情 Detail |").AppendLine("|---|---|---|---|");
        foreach (var line in Timeline)
        {
            md.AppendLine($"| {line.At} | {Escape(line.Actor)} | {Escape(line.Kind)} | {Escape(line.Detail)} |");
        }

        return md.ToString();
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static void Row(StringBuilder md, string label, string? value) => md.AppendLine($"| {label} | {Escape(value ?? "-")} |");

    // A table cell is one line, and a '|' would end it early.
    private static string Escape(string value) => value.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings("<br>");
}
