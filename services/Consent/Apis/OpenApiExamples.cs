using PrivacySuite.ServiceDefaults.OpenApi;

namespace PrivacySuite.Consent.Apis;

/// <summary>The examples of the consent service's OpenAPI document (issue 20.4): made-up subjects, the suite's two real policies.</summary>
internal static class OpenApiExamples
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
    private static readonly Guid ReceiptId = new("0b9c1f5e-7d3a-4c2b-9e8f-1a2b3c4d5e6f");

    private static readonly SubjectView Subject = new("subj-example-0001", "infobird", "active", false, At, null);

    private static readonly ConsentView Granted = new("offers.relevant", "granted", "Consent", "1.0", "app-settings", "CN", null, At, ReceiptId, null, []);

    private static readonly ConsentView RideRoutes = new("iwalk.service.provide", "granted", "Consent", "1.0", "app-onboarding", "CN", null, At, ReceiptId, null,
        ["Location"]);

    private static readonly PolicyText Text = new(
        "# Privacy Policy\n\nInfobird Co., Ltd takes the protection of your privacy very seriously. This statement explains how we collect, use, store and disclose information about you…",
        "# 隐私政策\n\n讯鸟公司非常重视您的隐私保护。本声明说明我们如何收集、使用、存储和披露您的信息……");

    public static readonly IReadOnlyDictionary<string, ApiExample> ByOperation = new Dictionary<string, ApiExample>
    {
        ["ListPurposes"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new[] { new PurposeView("offers.relevant", "infobird", new PurposeNames("Relevant offers", "相关优惠推荐"), false, "Consent", ["Usage"], null, false, "1.0") },
        }),
        ["PublishPolicyVersion"] = new(
            new PublishPolicyVersionRequest("2.0", ["offers.relevant"], null, null,
                new PolicyAnnouncement(new DateOnly(2030, 1, 1),
                    new AnnouncementSummary("Offers now use your ride history.", "优惠推荐将使用您的骑行记录。"), "https://example.com/policy/infobird"),
                Text),
            new Dictionary<int, object> { [201] = new PolicyVersionView("infobird", "2.0", ["offers.relevant"], 14, At, new AnnouncementView(0, 0, null)) }),
        ["GetCurrentPolicy"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new CurrentPolicyView("infobird", "2.0", new DateOnly(2030, 1, 1), At, ["offers.relevant"], Text),
        }),
        ["ListPolicyVersions"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new[] { new PolicyVersionView("infobird", "2.0", ["offers.relevant"], 14, At, new AnnouncementView(1200, 3, At.AddMinutes(2))) },
        }),
        ["RegisterSubject"] = new(
            new RegisterSubjectRequest("subj-example-0001", "infobird", null, "18-plus"),
            new Dictionary<int, object> { [201] = Subject }),
        ["GrantConsent"] = new(
            new GrantConsentRequest("iwalk.service.provide", "1.0", "app-onboarding", "CN", null, null, null, [DataCategory.Location]),
            new Dictionary<int, object> { [201] = new GrantedConsent(RideRoutes, "eyJhbGciOiJFUzI1NiIsImtpZCI6ImV4YW1wbGUifQ.eyJleGFtcGxlIjp0cnVlfQ.c2lnbmF0dXJl") }),
        ["WithdrawSensitiveConsent"] = new(Responses: new Dictionary<int, object> { [200] = RideRoutes with { SensitiveCategories = [] } }),
        ["WithdrawConsent"] = new(Responses: new Dictionary<int, object> { [200] = Granted with { State = "withdrawn", ReceiptId = null } }),
        ["ListConsents"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new SubjectConsents(Subject, [Granted],
                [new HistoryView(1, "offers.relevant", "granted", "Consent", "1.0", "app-settings", "CN", null, "product-backend-example", At, ReceiptId, null, null, [], null)],
                [new PurposeDecision("offers.relevant", true, "consent-granted", "Consent", "1.0", []),
                 new PurposeDecision("offers.partners", false, "policy-changed", null, "2.0", [])]),
        }),
        ["ListWards"] = new(Responses: new Dictionary<int, object> { [200] = new List<WardView> { new("subj-example-0002", "iwalk-scooter", true) } }),
        ["CancelAccount"] = new(Responses: new Dictionary<int, object> { [200] = new CancellationView("subj-example-0001", At, ["offers.relevant", "service.provide"]) }),
        ["CheckConsent"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new ConsentDecision(true, "Consent", "1.0", "consent-granted", At, 3, ["Location"]),
        }),
    };
}
