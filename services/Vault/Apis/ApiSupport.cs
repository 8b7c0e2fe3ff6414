using PrivacySuite.ServiceDefaults.Auth;
using System.Security.Claims;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Apis;

/// <summary>What the vault's handlers depend on, bound with [AsParameters]. Services, not input: the validation
/// generator would otherwise walk into the DbContext's object graph.</summary>
#pragma warning disable ASP0029 // SkipValidation is marked "for evaluation" in .NET 10; it is the documented way to opt out.
[Microsoft.Extensions.Validation.SkipValidation]
#pragma warning restore ASP0029
public sealed record VaultServices(
    VaultService Vault,
    VaultDbContext Db,
    Keyring Keyring,
    AccessLogBook AccessLog,
    MacKeys Macs,
    IOptions<VaultOptions> Options,
    TimeProvider Time,
    ClaimsPrincipal User)
{
    /// <summary>The caller as the access log names it: the API key's name or the token's subject.</summary>
    public string Accessor => User.CallerId();
}

internal static class Problems
{
    /// <summary>A refusal with its reason code, decided in the handler.</summary>
    public static ProblemHttpResult Refused(int status, string reason, string detail, string? title = null) =>
        Refused(new Refusal(status, detail, reason), title);

    /// <summary>A verb's refusal, with its reason and what else it names (the purposes that would let it pass).</summary>
    public static ProblemHttpResult Refused(Refusal why, string? title = null) => (title is null ? why : why with { Title = title }).ToProblem();
}

internal static class Validate
{
    public static bool SubjectId(string? value) => PrivacySuite.Contracts.SubjectId.TryParse(value, out _);

    public static bool Purpose(string? value) => PurposeCode.TryParse(value, out _);

    /// <summary>The purposes a non-consent basis covers: present, 1 to <see cref="VaultService.MaxBasisPurposes"/>, valid codes, each once.</summary>
    public static bool BasisPurposes(IReadOnlyList<string?>? purposes) =>
        purposes is { Count: > 0 and <= VaultService.MaxBasisPurposes } && purposes.All(Purpose) && purposes.Distinct(StringComparer.Ordinal).Count() == purposes.Count;

    /// <summary>Field errors of a set of fields to store, or null when they are fine. Messages never echo a value.</summary>
    public static Dictionary<string, string[]>? Fields(IReadOnlyDictionary<string, string>? fields)
    {
        var errors = new Dictionary<string, string[]>();
        if (fields is null || fields.Count == 0)
        {
            errors["fields"] = ["At least one field is required."];
        }
        else if (fields.Count > VaultService.MaxFields)
        {
            errors["fields"] = [$"At most {VaultService.MaxFields} fields per request."];
        }
        else
        {
            foreach (var (name, value) in fields)
            {
                if (!VaultService.FieldName().IsMatch(name))
                {
                    errors["fields"] = ["Field names are 1-32 characters: lower-case letters, digits and underscores, starting with a letter."];
                }
                else if (string.IsNullOrEmpty(value) || value.Length > VaultService.MaxValueLength)
                {
                    errors[$"fields.{name}"] = [$"A value is 1-{VaultService.MaxValueLength} characters."];
                }
            }
        }

        return errors.Count == 0 ? null : errors;
    }
}
