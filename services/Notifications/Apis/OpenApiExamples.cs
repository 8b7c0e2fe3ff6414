using PrivacySuite.ServiceDefaults.OpenApi;

namespace PrivacySuite.Notifications.Apis;

/// <summary>The examples of the notification service's OpenAPI document (issue 20.4): made-up subjects and URLs.</summary>
internal static class OpenApiExamples
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
    private static readonly Guid RequestId = new("7c2e9a41-3b5d-4f60-9a8b-1c2d3e4f5a6b");
    private static readonly Guid EndpointId = new("01938a6e-2f4b-7c1d-8e9f-0a1b2c3d4e5f");

    /// <summary>A policy update's variables; a text written in both languages travels as <c>name.zh-CN</c> and <c>name.en</c>.</summary>
    private static readonly Dictionary<string, string> PolicyUpdate = new()
    {
        ["policyVersion"] = "2.0",
        ["effectiveDate"] = "2030-01-01",
        ["summary.zh-CN"] = "配送数据的保存期限由 180 天缩短为 90 天。",
        ["summary.en"] = "We keep delivery data for 90 days instead of 180.",
        ["reviewUrl"] = "https://example.com/policy/latest",
    };

    public static readonly IReadOnlyDictionary<string, ApiExample> ByOperation = new Dictionary<string, ApiExample>
    {
        ["SendNotice"] = new(new SendNoticeRequest("policy-update", ["subj-example-0001", "subj-example-0002"], PolicyUpdate)),
        ["GetNoticeRequest"] = new(Responses: new Dictionary<int, object> { [200] = new NoticeRequestView(RequestId, "policy-update", 2, 0, 2, 0, false, At) }),
        ["ListSubjectNotices"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new List<SubjectNoticeView>
            {
                new(RequestId, "policy-update", "delivered", "email", At, At, new Dictionary<string, NoticeText>
                {
                    ["zh-CN"] = new("隐私政策更新（版本 2.0）", "您好：……"),
                    ["en"] = new("Privacy policy update (version 2.0)", "Hello, …"),
                }),
            },
        }),
        ["PreviewTemplate"] = new(new PreviewRequest("en", PolicyUpdate)),
        ["PublishBulletin"] = new(new PublishBulletinRequest("policy-update", PolicyUpdate)),
        ["RegisterWebhook"] = new(
            new RegisterWebhookRequest("https://shop.example.com/privacysuite/webhooks", ["consent.withdrawn", "account.cancelled"]),
            new Dictionary<int, object>
            {
                [201] = new WebhookSecretView(EndpointId, "https://shop.example.com/privacysuite/webhooks", ["consent.withdrawn", "account.cancelled"],
                    "9f2c4e1a7b3d5f60819a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70", At),
            }),
        ["RotateWebhookSecret"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new WebhookSecretView(EndpointId, "https://shop.example.com/privacysuite/webhooks", ["consent.withdrawn", "account.cancelled"],
                "4b8e2d0f6a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b", At, At.AddMinutes(60)),
        }),
    };
}
