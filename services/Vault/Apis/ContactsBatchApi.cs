using System.ComponentModel.DataAnnotations;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Regions;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

/// <summary>
/// The contacts of many subjects in one call, for a campaign: the same rules as <c>GET /v1/subjects/{id}/contacts</c>
/// (role service, served by the primary region, every subject's read logged with purpose notification before anything
/// is decrypted), with one database round trip, one access-log commit and one HTTP exchange for the whole batch instead
/// of one each per subject.
/// </summary>
public static class ContactsBatchApi
{
    public const int MaxSubjects = 500;

    // 500 ids of at most 64 characters, JSON-quoted, with room to spare.
    private const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapContactsBatchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/subjects/contacts", LookupAsync).WithTags("Suite").WithName("ContactsBatch")
            .RequireRoles(SuiteRoles.Service)
            .ServedByPrimaryRegion() // a read of personal data is written to the access log
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBodyBytes))
            .WithSummary($"Channels and language of up to {MaxSubjects} subjects, decrypted at send time for the notification service.");
        return app;
    }

    private static async Task<Results<Ok<ContactsLookupResponse>, ValidationProblem>> LookupAsync(
        ContactsLookupRequest request, [AsParameters] VaultServices s, CancellationToken ct)
    {
        var ids = request.SubjectIds ?? [];
        if (ids.Count is 0 or > MaxSubjects)
        {
            return RequestProblems.Invalid("subjectIds", $"1-{MaxSubjects} subject ids.");
        }

        if (!ids.All(Validate.SubjectId))
        {
            return RequestProblems.Invalid("subjectIds", "Every entry must be a valid subject id.");
        }

        var contacts = await s.Vault.ContactsAsync(ids, s.Accessor, ct);
        var answers = contacts.Select(c => c.Status == SubjectContacts.Found
            ? new SubjectContactsEntry(c.SubjectId, c.Status, ServiceApi.ContactLanguage(c.Values), ServiceApi.ContactChannels(c.Values))
            : new SubjectContactsEntry(c.SubjectId, c.Status, null, [])).ToList();
        return TypedResults.Ok(new ContactsLookupResponse(answers));
    }
}
