using PrivacySuite.ServiceDefaults.OpenApi;

namespace PrivacySuite.Vault.Apis;

/// <summary>The examples of the vault's OpenAPI document (issue 20.4): made-up subjects, example.com addresses, fake codes.</summary>
internal static class OpenApiExamples
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
    private static readonly Guid VerificationId = new("5f1d2c3b-4a59-4e7d-8c6b-0a1b2c3d4e5f");
    private static readonly Guid SignInId = new("7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d");
    private const string Subject = "subj-example-0001";
    private const string EmailToken = "tok_example_email_0001";

    public static readonly IReadOnlyDictionary<string, ApiExample> ByOperation = new Dictionary<string, ApiExample>
    {
        ["StoreData"] = new(
            new StoreRequest("contact", "provided", "consent", new Dictionary<string, string> { ["email"] = "subject-0001@example.com", ["language"] = "zh-CN" }, null),
            new Dictionary<int, object> { [200] = new StoreResponse(Subject, "contact", new Dictionary<string, string> { ["email"] = EmailToken, ["language"] = "tok_example_language_0001" }) }),
        ["SetProfile"] = new(new ProfileRequest(false, null), new Dictionary<int, object> { [200] = new ProfileResponse(Subject, false, null) }),
        ["Lookup"] = new(new LookupRequest("email", "subject-0001@example.com"),
            new Dictionary<int, object> { [200] = new LookupResponse([new LookupMatch(Subject, EmailToken)]) }),
        ["Detokenize"] = new(new DetokenizeRequest([EmailToken], "service.provide", null, null),
            new Dictionary<int, object> { [200] = new DetokenizeResponse([new ValueView(EmailToken, Subject, "contact", "email", "subject-0001@example.com", "provided", "consent")]) }),
        ["ContactsBatch"] = new(new ContactsLookupRequest([Subject, "subj-example-0002"])),
        ["KnownSubjects"] = new(new KnownSubjectsRequest([Subject, "subj-example-0002"]),
            Responses: new Dictionary<int, object> { [200] = new KnownSubjectsResponse([Subject], ["subj-example-0002"]) }),
        ["StartContactVerification"] = new(new ContactVerificationRequest("email")),
        ["VerifyContact"] = new(new VerifyContactRequest(VerificationId, "123456", null, null)),
        ["StartVerification"] = new(new VerificationRequest("access"),
            new Dictionary<int, object> { [202] = new VerificationStarted(VerificationId, "access", At.AddMinutes(15)) }),
        ["Access"] = new(new VerifiedRequest(VerificationId, "123456")),
        ["Export"] = new(new VerifiedRequest(VerificationId, "123456")),
        ["Rectify"] = new(new RectificationRequest(VerificationId, "123456", "contact",
            new Dictionary<string, string> { ["email"] = "subject-0001.new@example.com" }, "The subject changed address (example).")),
        ["Erase"] = new(new ErasureRequest(VerificationId, "123456", "The subject asked to be forgotten (example).")),
        ["StartSignIn"] = new(new SignInRequest("email", "subject-0001@example.com"),
            new Dictionary<int, object> { [202] = new SignInAccepted(SignInId, At.AddMinutes(10)) }),
        ["RedeemSignIn"] = new(new SignInRedemption("123456"), new Dictionary<int, object> { [200] = new SignedInView(Subject, At.AddMinutes(2)) }),
        ["SubjectAccessLog"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new SubjectAccessLogPage(
            [
                new SubjectAccessLogEntry(1043, At.AddMinutes(5), "example-shop-backend", "read", "allowed", "service.provide", "contact"),
                new SubjectAccessLogEntry(1040, At, "example-shop-backend", "write", "allowed", null, "contact"),
            ], 1040),
        }),
        ["SubjectOwnRequests"] = new(Responses: new Dictionary<int, object>
        {
            [200] = new List<SubjectRequestSummary>
            {
                new(VerificationId, "access", At, At.AddMinutes(10), "done", At.AddMinutes(3)),
                new(new Guid("0c9e8d7f-6b5a-4c3d-9e2f-1a0b9c8d7e6f"), "erasure", At.AddDays(-2), At.AddDays(-2).AddMinutes(10), "expired", null),
            },
        }),
        ["StartGuardianVerification"] = new(new GuardianVerificationRequest("subj-example-minor-0001")),
        ["RedeemGuardianVerification"] = new(new GuardianshipRedemption(Subject, "subj-example-minor-0001", "123456")),
        ["RegisterProcessor"] = new(new ProcessorRequest("example-courier", "Example Courier Co., Ltd", ["delivery.offline"])),
        ["Approve"] = new(new ApprovalRequest(Subject, "identity", "protection", "officer-example")),
        ["Disclose"] = new(new DisclosureRequest("Example Public Security Bureau", "EXAMPLE-ORDER-2026-001", "criminal-investigation", ["contact"], false,
            "Telling the subject would hinder the investigation (example).")),
        ["RecordTransferBasis"] = new(new TransferBasisRequest("SG", "Example Analytics Pte. Ltd.", "standard-contract", "SCC-EXAMPLE-2026-001")),
        ["Transfer"] = new(new TransferRequest("SG", "Example Analytics Pte. Ltd.", "sharing.third-party", ["usage"])),
    };
}
