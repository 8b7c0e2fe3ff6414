using System.Net.Http.Json;
using System.Text.RegularExpressions;
using PrivacySuite.Testing;

namespace PrivacySuite.Operations.Tests;

/// <summary>
/// One address's mail as the suite sent it to a region's MailDev: its verification codes (a person's own, and a
/// guardian's confirmations) in the order they arrived, each <see cref="NextCodeAsync"/> waiting for a code mail it has
/// not read yet; and the first mail of a subject (<see cref="MailAsync"/>).
/// </summary>
public sealed partial class Inbox(Uri mailDev, string address)
{
    private static readonly string[] CodeSubjects =
        ["Your verification code", "身份验证码", "Confirm that you are a minor's guardian", "监护人身份确认码"];
    private readonly HttpClient _http = new() { BaseAddress = mailDev, Timeout = TimeSpan.FromSeconds(30) };
    private int _read;

    public string Address => address;

    public async Task<string> NextCodeAsync()
    {
        string? code = null;
        await Eventually.HoldsAsync(async () =>
        {
            var codes = (await _http.GetFromJsonAsync<List<ReceivedMail>>("email") ?? [])
                .Where(m => m.To.Any(t => t.Address == address) && CodeSubjects.Contains(m.Subject))
                .Select(m => SixDigits().Match(m.Text ?? "").Value)
                .ToList();
            code = codes.Count > _read ? codes[_read] : null;
            return code is { Length: 6 };
        }, TimeSpan.FromSeconds(90), $"a new verification code was mailed to {address}");
        _read++;
        return code!;
    }

    /// <summary>The text of the first mail to this address with one of <paramref name="subjects"/> (its subject in either language).</summary>
    public async Task<string> MailAsync(params string[] subjects)
    {
        string? text = null;
        await Eventually.HoldsAsync(async () =>
        {
            text = (await _http.GetFromJsonAsync<List<ReceivedMail>>("email") ?? [])
                .FirstOrDefault(m => m.To.Any(t => t.Address == address) && subjects.Contains(m.Subject))?.Text;
            return text is not null;
        }, TimeSpan.FromSeconds(90), $"a mail \"{subjects[0]}\" reached {address}");
        return text!;
    }

    [GeneratedRegex("(?<![0-9])[0-9]{6}(?![0-9])")]
    private static partial Regex SixDigits();
}
