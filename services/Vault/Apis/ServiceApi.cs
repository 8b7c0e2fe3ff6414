using System.Text;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

public static class ServiceApi
{
    /// <summary>What the suite's other services call: contacts and one-time codes for notices, affected subjects for incidents.</summary>
    public static IEndpointRouteBuilder MapServiceApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/subjects/{subjectId}/contacts", ContactsAsync).WithTags("Suite").WithName("Contacts")
            .RequireRoles(SuiteRoles.Service)
            .ServedByPrimaryRegion() // a read of personal data is written to the access log
            .WithSummary("The subject's channels and language, decrypted at send time for the notification service.");
        app.MapPost("/v1/verifications/{verificationId:guid}/delivery", DeliveryAsync).WithTags("Suite").WithName("CodeDelivery")
            .RequireRoles(SuiteRoles.Service)
            .ServedByPrimaryRegion() // makes the code and records its hash
            .WithSummary("Makes a verification's one-time code and answers it with the contacts it goes to, once, before it expires; only its hash is kept.");
        app.MapGet("/v1/subjects/affected", AffectedAsync).WithTags("Suite").WithName("AffectedSubjects")
            .RequireRoles(SuiteRoles.Service, SuiteRoles.OnCall)
            .WithSummary("Subjects affected by an incident, a page at a time: by categories in a time window, by categories at any time, or everyone.");
        return app;
    }

    private static async Task<Results<Ok<ContactsResponse>, ValidationProblem, ProblemHttpResult>> ContactsAsync(
        string subjectId, [AsParameters] VaultServices s, CancellationToken ct)
    {
        var contacts = (await s.Vault.ContactsAsync([subjectId], s.Accessor, ct))[0];
        return contacts.Status switch
        {
            SubjectContacts.Unknown => Problems.Refused(404, "unknown-subject", "The vault holds no data for this subject."),
            SubjectContacts.Erased => Problems.Refused(410, "erased", "The subject was erased; there is no one to contact."),
            _ => TypedResults.Ok(new ContactsResponse(ContactLanguage(contacts.Values), ContactChannels(contacts.Values))),
        };
    }

    private static async Task<Results<Ok<CodeDelivery>, ProblemHttpResult>> DeliveryAsync(
        Guid verificationId, [AsParameters] VaultServices s, IdentityVerifications verifications, CancellationToken ct) =>
        await verifications.ReleaseAsync(verificationId, s.Accessor, ct) switch
        {
            Outcome<CodeRelease>.Done d => TypedResults.Ok(new CodeDelivery(d.Value.VerificationId, d.Value.Code, d.Value.ExpiresAt,
                ContactLanguage(new Dictionary<string, string> { ["language"] = d.Value.Language ?? "" }),
                [.. d.Value.Channels.Select(c => new ContactChannel(c.Channel, c.Address))])),
            Outcome<CodeRelease>.Refused { Why: var r } => Problems.Refused(r, r.Status == 410 ? "The code can no longer be sent" : null),
            _ => throw new InvalidOperationException("Unexpected outcome."),
        };

    /// <summary>The stored contact fields as channels: e-mail, phone (SMS), push.</summary>
    internal static List<ContactChannel> ContactChannels(IReadOnlyDictionary<string, string> values) =>
        new[] { ("email", "email"), ("phone", "sms"), ("push", "push") }
            .Where(m => values.ContainsKey(m.Item1)).Select(m => new ContactChannel(m.Item2, values[m.Item1])).ToList();

    /// <summary>The stored language as a template language (zh-CN or en), or null when unknown.</summary>
    internal static string? ContactLanguage(IReadOnlyDictionary<string, string> values) => values.GetValueOrDefault("language") switch
    {
        "zh-CN" or "zh" or "zh-cn" => "zh-CN",
        "en" or "en-US" or "en-GB" => "en",
        _ => null,
    };

    private static async Task<Results<Ok<AffectedResponse>, ValidationProblem>> AffectedAsync(
        string? scope, string? categories, DateTimeOffset? from, DateTimeOffset? to, string? after, int? limit, [AsParameters] VaultServices s, CancellationToken ct)
    {
        if (AffectedScope.Parse(scope, categories, from, to, out var refusal) is not { } affected)
        {
            return RequestProblems.Invalid(refusal.Field, refusal.Detail);
        }

        var take = limit ?? 500;
        if (take is < 1 or > AffectedSubjects.MaxPage)
        {
            return RequestProblems.Invalid("limit", $"1-{AffectedSubjects.MaxPage}.");
        }

        string? cursor = null;
        if (after is not null && !TryDecodeCursor(after, out cursor))
        {
            return RequestProblems.Invalid("after", "Not a cursor from a previous page.");
        }

        var ids = await AffectedSubjects.PageAsync(s.Db, affected, cursor, take + 1, ct);
        var next = ids.Count > take ? EncodeCursor(ids[take - 1]) : null;
        return TypedResults.Ok(new AffectedResponse(ids.Take(take).ToList(), next));
    }

    private static string EncodeCursor(string subjectId) => MacKeys.Base64Url(Encoding.UTF8.GetBytes(subjectId));

    private static bool TryDecodeCursor(string cursor, out string? subjectId)
    {
        subjectId = null;
        var padded = cursor.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        var bytes = new byte[padded.Length];
        if (cursor.Length > 128 || !Convert.TryFromBase64String(padded, bytes, out var written))
        {
            return false;
        }

        subjectId = Encoding.UTF8.GetString(bytes, 0, written);
        return Validate.SubjectId(subjectId);
    }
}
