using PrivacySuite.Incidents.Model;
using PrivacySuite.ServiceDefaults.OpenApi;

namespace PrivacySuite.Incidents.Apis;

/// <summary>The examples of the incident service's OpenAPI document (issue 20.4): a made-up incident, no real system or person.</summary>
internal static class OpenApiExamples
{
    private static readonly NoticeText ZhCn = new(
        "2026年12月1日，示例系统的一个备份文件被错误地公开访问。", "您的昵称和联系方式可能被他人看到。", "我们已关闭访问并更换了相关密钥。",
        "请留意冒充我们的电话和短信。", "如有疑问，请拨打客服热线 400-000-0000（示例）。", "请勿向任何人透露验证码。");

    private static readonly NoticeText En = new(
        "On 1 December 2026 a backup file of an example system was publicly readable by mistake.", "Your nickname and contact details may have been seen.",
        "We closed the access and replaced the keys involved.", "Watch out for calls and messages pretending to be us.",
        "Questions: call 400-000-0000 (example).", "Never tell anyone a verification code.");

    public static readonly IReadOnlyDictionary<string, ApiExample> ByOperation = new Dictionary<string, ApiExample>
    {
        ["DeclareIncident"] = new(new DeclareRequest("Backup bucket readable without a key (example)", IncidentType.DataLeak, "example-backup-bucket, beijing",
            new DateTimeOffset(2026, 12, 1, 8, 15, 0, TimeSpan.Zero))),
        ["GradeIncident"] = new(new GradeRequest(1200, ["contact", "usage"], 0m, 0, null, null)),
        ["UpdateContainmentTask"] = new(new TaskUpdateRequest("oncall-example", new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero), false)),
        ["FileReport"] = new(new FileReportRequest(ReportKind.Initial, new ReportContent(
            "Example Operator Co., Ltd", new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero), "example-backup-bucket, beijing", "DataLeak, grade III",
            "About 1,200 subjects' contact details may have been read.", "Access closed at 08:40; keys rotated.", null, null, null, null, null, null))),
        ["NotifySubjects"] = new(new NotifyRequest(new AffectedRequest(AffectedScope.Window, ["contact"], new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 1, 8, 40, 0, TimeSpan.Zero), null), ZhCn, En)),
        ["ResolveIncident"] = new(new CloseRequest("Access closed, keys rotated, subjects told; no misuse seen (example).")),
        ["ReviewIncident"] = new(new CloseRequest("Review held; backups are now checked for public access daily (example).")),
        ["PauseNotices"] = new(new ReasonRequest("The notice text needs a correction (example).")),
        ["ResumeNotices"] = new(new ReasonRequest("Corrected text approved (example).")),
        ["PublishBulletin"] = new(new ReasonRequest("Contacts of many subjects are unknown: announce publicly (example).")),
        ["AddTimelineNote"] = new(new NoteRequest("Called the storage vendor; ticket EXAMPLE-42 opened.")),
    };
}
