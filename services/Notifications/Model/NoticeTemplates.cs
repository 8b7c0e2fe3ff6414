using System.Globalization;
using System.Text;

namespace PrivacySuite.Notifications.Model;

/// <summary>The kinds of value a template variable takes; each is checked when a notice is rendered.</summary>
public enum VariableKind
{
    Text,
    Date,
    Digits,
    Url,
}

/// <summary>
/// A template's variable. One <paramref name="AtSend"/> is filled in by the notification service when it sends (a one-time
/// code, fetched then): it is never part of a request, never stored, and a request that carries it is refused.
/// </summary>
public sealed record TemplateVariable(string Name, VariableKind Kind, string Description, bool AtSend = false);

/// <summary>A notice in one language: <c>{name}</c> placeholders are filled from the request's variables.</summary>
public sealed record LocalizedTemplate(string Subject, string Body);

public sealed record NoticeTemplate(
    string NoticeType,
    string Description,
    IReadOnlyList<TemplateVariable> Variables,
    LocalizedTemplate Chinese,
    LocalizedTemplate English,
    Func<IReadOnlyDictionary<string, string>, DateTimeOffset, IEnumerable<string>>? Rules = null);

/// <summary>A rendered notice, ready for a channel.</summary>
public sealed record RenderedNotice(string Language, string Subject, string Body);

/// <summary>Why a notice could not be rendered, by variable name; nothing here repeats a value.</summary>
public sealed record RenderErrors(IReadOnlyDictionary<string, string[]> Errors);

/// <summary>
/// The notice templates per type in zh-CN and en. A subject whose language is known gets that language only; a subject
/// whose language is unknown gets both, Chinese first, so nobody gets a notice they cannot read.
/// </summary>
public static class NoticeTemplates
{
    public const string Chinese = "zh-CN";
    public const string English = "en";
    public const int MaxVariables = 20;
    public const int MaxValueLength = 2000;

    // Before All, which uses it: static fields are initialised in the order they are written.
    /// <summary>The variables of a code's notice: the verification it belongs to, and the code and its expiry, filled in when it is sent.</summary>
    private static readonly IReadOnlyList<TemplateVariable> CodeVariables =
    [
        new("verificationId", VariableKind.Text, "The vault's verification the code belongs to; the code is fetched by it when the notice is sent"),
        new("code", VariableKind.Digits, "The one-time code (4 to 10 digits), fetched from the vault when the notice is sent", AtSend: true),
        new("expiresInMinutes", VariableKind.Digits, "Minutes until the code expires, as of the send", AtSend: true),
    ];

    public static readonly IReadOnlyDictionary<string, NoticeTemplate> All = new[]
    {
        new NoticeTemplate(
            NoticeTypes.PolicyUpdate,
            "A new privacy policy version (INF-7.1): the service continues only after the subject agrees to it.",
            [
                new("policyVersion", VariableKind.Text, "The new version, e.g. 2026-11"),
                new("effectiveDate", VariableKind.Date, "When it takes effect (yyyy-MM-dd)"),
                new("summary", VariableKind.Text, "What changed, in plain words"),
                new("reviewUrl", VariableKind.Url, "Where the subject reads and accepts it"),
            ],
            new("隐私政策更新（版本 {policyVersion}）",
                "您好：\n\n我们更新了隐私政策，新版本 {policyVersion} 将于 {effectiveDate} 生效。\n\n主要变更：{summary}\n\n" +
                "请在此阅读并确认新政策：{reviewUrl}\n未经您同意，我们将无法继续为您提供服务。"),
            new("Privacy policy update (version {policyVersion})",
                "Hello,\n\nWe have updated our privacy policy. Version {policyVersion} takes effect on {effectiveDate}.\n\n" +
                "What changed: {summary}\n\nPlease read and accept the new policy here: {reviewUrl}\n" +
                "Without your agreement we cannot continue to provide the service to you.")),
        new NoticeTemplate(
            NoticeTypes.IncidentNotice,
            "A personal-information security incident (INF-3.4, IWK-2.8): the five parts plus security advice.",
            [
                new("incidentId", VariableKind.Text, "The incident's reference"),
                new("whatHappened", VariableKind.Text, "The incident and its cause"),
                new("possibleImpact", VariableKind.Text, "What it may mean for the subject"),
                new("measuresTaken", VariableKind.Text, "What the operator has done and will do"),
                new("whatYouCanDo", VariableKind.Text, "What the subject can do to protect themselves"),
                new("remedies", VariableKind.Text, "Remedies offered and how to claim them"),
                new("securityAdvice", VariableKind.Text, "Concrete security advice"),
                new("contact", VariableKind.Text, "How to reach the operator about the incident"),
            ],
            new("个人信息安全事件告知（{incidentId}）",
                "您好：\n\n一、事件情况：{whatHappened}\n二、可能的影响：{possibleImpact}\n三、我们已采取的处置措施：{measuresTaken}\n" +
                "四、您可以自主采取的措施：{whatYouCanDo}\n五、补救措施：{remedies}\n\n安全建议：{securityAdvice}\n\n如有疑问，请联系：{contact}"),
            new("Personal information security incident ({incidentId})",
                "Hello,\n\n1. What happened: {whatHappened}\n2. Possible impact: {possibleImpact}\n3. Measures we have taken: {measuresTaken}\n" +
                "4. What you can do: {whatYouCanDo}\n5. Remedies: {remedies}\n\nSecurity advice: {securityAdvice}\n\nQuestions: {contact}")),
        new NoticeTemplate(
            NoticeTypes.TerminationNotice,
            "The service ends (IWK-2.6): notice at least 30 days ahead, then the data is deleted or anonymised.",
            [
                new("serviceName", VariableKind.Text, "The product that ends"),
                new("endDate", VariableKind.Date, "The last day of service (yyyy-MM-dd), at least 30 days after the request"),
                new("dataHandling", VariableKind.Text, "What happens to the subject's data afterwards"),
                new("exportUrl", VariableKind.Url, "Where the subject can export their data before then"),
            ],
            new("{serviceName} 停止运营通知",
                "您好：\n\n{serviceName} 将于 {endDate} 停止运营。\n\n停止运营后，我们将这样处理您的个人信息：{dataHandling}\n\n在此之前，您可以在此导出您的数据：{exportUrl}"),
            new("{serviceName} is ending",
                "Hello,\n\n{serviceName} will stop operating on {endDate}.\n\nAfterwards your personal information will be handled as follows: {dataHandling}\n\n" +
                "Until then you can export your data here: {exportUrl}"),
            (v, requestedAt) => DateOnly.TryParseExact(v.GetValueOrDefault("endDate"), "yyyy-MM-dd", out var end) &&
                                end < DateOnly.FromDateTime(requestedAt.UtcDateTime).AddDays(30)
                ? ["endDate must be at least 30 days after the notice is requested (IWK-2.6)."]
                : []),
        new NoticeTemplate(
            NoticeTypes.TerminationReminder,
            "A reminder before the service ends (IWK-2.6): how many days are left, and what happens to the data.",
            [
                new("serviceName", VariableKind.Text, "The product that ends"),
                new("endDate", VariableKind.Date, "The last day of service (yyyy-MM-dd)"),
                new("daysLeft", VariableKind.Digits, "Days until the end date"),
                new("dataHandling", VariableKind.Text, "What happens to the subject's data afterwards"),
                new("exportUrl", VariableKind.Url, "Where the subject can export their data before then"),
            ],
            new("提醒：{serviceName} 将于 {daysLeft} 天后停止运营",
                "您好：\n\n{serviceName} 将于 {endDate} 停止运营，距今还有 {daysLeft} 天。\n\n{dataHandling}\n\n在此之前，您可以在此导出您的数据：{exportUrl}"),
            new("Reminder: {serviceName} ends in {daysLeft} days",
                "Hello,\n\n{serviceName} will stop operating on {endDate}, {daysLeft} days from now.\n\n{dataHandling}\n\n" +
                "Until then you can export your data here: {exportUrl}")),
        new NoticeTemplate(
            NoticeTypes.VerificationCode,
            "A one-time code that verifies the subject's identity before a request is acted on (INF-6.3).",
            CodeVariables,
            new("身份验证码", "您的验证码是 {code}，{expiresInMinutes} 分钟内有效。如非本人操作，请忽略本消息，请勿将验证码告诉他人。"),
            new("Your verification code",
                "Your verification code is {code}. It expires in {expiresInMinutes} minutes. If you did not ask for it, ignore this message and never share the code."),
            (v, _) => VerificationCodeRules(v)),
        new NoticeTemplate(
            NoticeTypes.GuardianVerificationCode,
            "A one-time code that confirms the receiver is a minor's guardian, before the guardian's consent for the minor is recorded (IWK-3.1).",
            CodeVariables,
            new("监护人身份确认码",
                "有人申请将您登记为一名未成年人的监护人，并以您的名义代其同意个人信息的处理。确认码是 {code}，{expiresInMinutes} 分钟内有效。\n\n" +
                "只有您确实是该未成年人的监护人并同意时，才可在登记页面输入此确认码。如非本人申请，请忽略本消息，请勿将确认码告诉他人。"),
            new("Confirm that you are a minor's guardian",
                "Someone asked to record you as the guardian of a minor and to give consent, in your name, to the processing of the minor's personal information. " +
                "Your confirmation code is {code}. It expires in {expiresInMinutes} minutes.\n\n" +
                "Enter it only if you are the minor's guardian and agree. If you did not ask for this, ignore this message and never share the code."),
            (v, _) => VerificationCodeRules(v)),
        new NoticeTemplate(
            NoticeTypes.DeletionCertificate,
            "The subject's personal information was erased; the certificate id proves it.",
            [
                new("certificateId", VariableKind.Text, "The deletion certificate's id"),
                new("erasedAt", VariableKind.Date, "When the data was erased or anonymised (yyyy-MM-dd)"),
                new("outcome", VariableKind.Text, "What was done: erased or anonymised, in each language"),
                new("categories", VariableKind.Text, "The categories of data it covers"),
                new("regions", VariableKind.Text, "The regions it was removed from"),
                new("verifyUrl", VariableKind.Url, "Where the certificate can be checked"),
            ],
            new("个人信息删除证明",
                "您好：\n\n您的个人信息（{categories}）已于 {erasedAt} 在以下区域{outcome}：{regions}。删除证明编号：{certificateId}。\n\n您可以在此核验该证明：{verifyUrl}"),
            new("Certificate of deletion",
                "Hello,\n\nYour personal information ({categories}) was {outcome} on {erasedAt} in these regions: {regions}. Certificate of deletion: {certificateId}.\n\n" +
                "You can verify the certificate here: {verifyUrl}")),
        new NoticeTemplate(
            NoticeTypes.CancellationNotice,
            "The subject's account was cancelled: when their data is erased or anonymised, and where to follow it and read its certificate (IWK-2.5).",
            [
                new("cancelledAt", VariableKind.Date, "When the account was cancelled (yyyy-MM-dd)"),
                new("removeAfter", VariableKind.Date, "The day after which the data is erased or anonymised (yyyy-MM-dd)"),
                new("outcome", VariableKind.Text, "What will be done: erased or anonymised, in each language"),
                new("receiptUrl", VariableKind.Url, "Where the subject follows the removal and reads its deletion certificate"),
            ],
            new("您的账户已注销",
                "您好：\n\n您的账户已于 {cancelledAt} 注销。我们将保存您的个人信息至 {removeAfter}，之后将其{outcome}（法律要求保留的除外）。\n\n" +
                "您可以在此查看进度，完成后可在此查看删除证明：{receiptUrl}\n请保存此链接：届时我们将不再保有您的联系方式。"),
            new("Your account was cancelled",
                "Hello,\n\nYour account was cancelled on {cancelledAt}. We keep your personal information until {removeAfter}; then it is {outcome} " +
                "(except what the law makes us keep).\n\nFollow it here, and read the certificate of deletion once it is done: {receiptUrl}\n" +
                "Keep this link: by then we will no longer have a way to contact you.")),
        new NoticeTemplate(
            NoticeTypes.DisclosureNotice,
            "Personal information was disclosed to an authority under the law (INF-5.4); the subject is told promptly where the law allows.",
            [
                new("authority", VariableKind.Text, "Who received it (court, authority)"),
                new("legalBasis", VariableKind.Text, "The law or order that required it"),
                new("categories", VariableKind.Text, "Which kinds of information were disclosed"),
                new("disclosedAt", VariableKind.Date, "When (yyyy-MM-dd)"),
            ],
            new("个人信息依法披露告知",
                "您好：\n\n根据 {legalBasis}，我们于 {disclosedAt} 向 {authority} 披露了您的以下个人信息：{categories}。\n\n依照法律规定，现将此事告知您。"),
            new("Notice of a legal disclosure",
                "Hello,\n\nUnder {legalBasis}, on {disclosedAt} we disclosed the following personal information about you to {authority}: {categories}.\n\n" +
                "As the law allows, we are letting you know.")),
        new NoticeTemplate(
            NoticeTypes.MergerTransferNotice,
            "Personal information moves to another controller in a merger or acquisition (INF-5.3); the subject is told before it takes effect.",
            [
                new("recipient", VariableKind.Text, "The company that receives the information"),
                new("recipientContact", VariableKind.Text, "How to reach the recipient"),
                new("transferDate", VariableKind.Date, "When the transfer takes effect (yyyy-MM-dd), after the notice"),
                new("purposes", VariableKind.Text, "What the recipient will use it for"),
            ],
            new("个人信息转移告知",
                "您好：\n\n因合并、收购等原因，您的个人信息将于 {transferDate} 转移至 {recipient}（联系方式：{recipientContact}）。\n\n" +
                "接收方将继续履行个人信息控制者的责任和义务，用途为：{purposes}。如有异议，请在转移生效前联系我们。"),
            new("Your personal information is being transferred",
                "Hello,\n\nBecause of a merger or acquisition, your personal information will be transferred to {recipient} (contact: {recipientContact}) " +
                "on {transferDate}.\n\nThe recipient takes over the controller's duties and will use it for: {purposes}. If you object, tell us before the transfer takes effect."),
            (v, requestedAt) => DateOnly.TryParseExact(v.GetValueOrDefault("transferDate"), "yyyy-MM-dd", out var date) &&
                                date <= DateOnly.FromDateTime(requestedAt.UtcDateTime)
                ? ["transferDate must be after the day the notice is requested (INF-5.3: notice before the transfer)."]
                : []),
        new NoticeTemplate(
            NoticeTypes.OnCallPage,
            "A page to the on-call person (issue 21.5), sent again until someone acknowledges it; raised by the suite only.",
            [
                new("pageId", VariableKind.Text, "The page's id, to acknowledge it by"),
                new("what", VariableKind.Text, "What needs a person, with references and times (never personal data)"),
                new("repeatMinutes", VariableKind.Digits, "Minutes until the page is sent again unless acknowledged"),
            ],
            new("【PrivacySuite 值班告警】{what}",
                "{what}\n\n告警编号：{pageId}\n请以值班身份调用通知服务的 POST /v1/pages/{pageId}/acknowledgement 确认。" +
                "未确认前每 {repeatMinutes} 分钟重复呼叫，并逐级通知轮值表上的下一位。"),
            new("[PrivacySuite on-call] {what}",
                "{what}\n\nPage {pageId}. Acknowledge it as on-call with POST /v1/pages/{pageId}/acknowledgement on the notification service. " +
                "Until then it is sent again every {repeatMinutes} min, and the next person on the rota is paged too.")),
    }.ToDictionary(t => t.NoticeType, StringComparer.Ordinal);

    private static IEnumerable<string> VerificationCodeRules(IReadOnlyDictionary<string, string> variables)
    {
        if (variables.GetValueOrDefault("code") is { Length: < 4 or > 10 })
        {
            yield return "code must have 4 to 10 digits.";
        }

        if (!Guid.TryParse(variables.GetValueOrDefault("verificationId"), out var _))
        {
            yield return "verificationId must be the vault's verification id (a GUID).";
        }
    }

    /// <summary>Normalises a language tag from the vault; null when it is missing or one we have no template for.</summary>
    public static string? KnownLanguage(string? language) => language?.Trim().ToLowerInvariant() switch
    {
        "zh-cn" or "zh" or "zh-hans" or "zh-hans-cn" => Chinese,
        "en" or "en-us" or "en-gb" => English,
        _ => null,
    };

    /// <summary>
    /// Checks the variables against the template: a request's (<paramref name="rendering"/> false), which must leave out
    /// what is filled in at send time, or a notice's about to be rendered, which must have every variable. An empty result
    /// for a request means <see cref="Render"/> will succeed once the send-time variables are added.
    /// </summary>
    public static Dictionary<string, string[]> Validate(NoticeTemplate template, IReadOnlyDictionary<string, string>? variables, DateTimeOffset requestedAt,
        bool rendering = false)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        variables ??= new Dictionary<string, string>();
        if (variables.Count > MaxVariables)
        {
            errors["variables"] = [$"At most {MaxVariables} variables."];
            return errors;
        }

        foreach (var name in variables.Keys.Where(k => template.Variables.All(v => v.Name != k && k != $"{v.Name}.{Chinese}" && k != $"{v.Name}.{English}")))
        {
            errors[name.Length > 64 ? name[..64] : name] = [$"{template.NoticeType} has no variable with this name; it takes {string.Join(", ", template.Variables.Select(v => v.Name))}."];
        }

        foreach (var variable in template.Variables.Where(v => v.AtSend && !rendering))
        {
            if (variables.Keys.Any(k => k == variable.Name || k.StartsWith(variable.Name + ".", StringComparison.Ordinal)))
            {
                errors[variable.Name] = ["Filled in by the notification service when it sends; never part of a request."];
            }
        }

        foreach (var variable in template.Variables.Where(v => rendering || !v.AtSend))
        {
            foreach (var language in new[] { Chinese, English })
            {
                var value = Value(variables, variable.Name, language);
                if (string.IsNullOrWhiteSpace(value))
                {
                    errors[variable.Name] = [$"Required (shared, or as {variable.Name}.{Chinese} and {variable.Name}.{English}): {variable.Description}."];
                }
                else if (KindError(variable.Kind, value) is { } error)
                {
                    errors[variable.Name] = [error];
                }
            }
        }

        if (errors.Count == 0 && template.Rules is { } rules)
        {
            var broken = rules(variables, requestedAt).ToArray();
            if (broken.Length > 0)
            {
                errors["variables"] = broken;
            }
        }

        return errors;
    }

    /// <summary>
    /// Renders the notice in <paramref name="language"/>, or in both languages when it is unknown. The variables are
    /// validated here, at render time, whatever was checked when the request arrived.
    /// </summary>
    public static RenderedNotice Render(NoticeTemplate template, string? language, IReadOnlyDictionary<string, string> variables, DateTimeOffset requestedAt)
    {
        var errors = Validate(template, variables, requestedAt, rendering: true);
        if (errors.Count > 0)
        {
            throw new TemplateVariablesException(errors);
        }

        return KnownLanguage(language) switch
        {
            Chinese => new(Chinese, Fill(template.Chinese.Subject, variables, Chinese), Fill(template.Chinese.Body, variables, Chinese)),
            English => new(English, Fill(template.English.Subject, variables, English), Fill(template.English.Body, variables, English)),
            _ => new(
                $"{Chinese},{English}",
                $"{Fill(template.Chinese.Subject, variables, Chinese)} / {Fill(template.English.Subject, variables, English)}",
                $"{Fill(template.Chinese.Body, variables, Chinese)}\n\n————————\n\n{Fill(template.English.Body, variables, English)}"),
        };
    }

    private static string? KindError(VariableKind kind, string value)
    {
        if (value.Length > MaxValueLength)
        {
            return $"At most {MaxValueLength} characters.";
        }

        if (value.Any(c => char.IsControl(c) && c != '\n'))
        {
            return "Control characters other than line breaks are not allowed.";
        }

        return kind switch
        {
            VariableKind.Date when !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                => "A date in the form yyyy-MM-dd.",
            VariableKind.Digits when value.Length > 10 || !value.All(char.IsAsciiDigit) => "Digits only (at most 10).",
            VariableKind.Url when !Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
                => "An absolute http(s) URL.",
            VariableKind.Text when value.Contains('{') || value.Contains('}') => "Braces are not allowed (they would look like a placeholder).",
            _ => null,
        };
    }

    /// <summary>A request's variables as they may be stored: without any the notification service fills in at send time.</summary>
    public static Dictionary<string, string> Storable(string noticeType, IReadOnlyDictionary<string, string>? variables) =>
        (variables ?? new Dictionary<string, string>())
            .Where(p => !All.TryGetValue(noticeType, out var template) ||
                        !template.Variables.Any(v => v.AtSend && (p.Key == v.Name || p.Key.StartsWith(v.Name + ".", StringComparison.Ordinal))))
            .ToDictionary(p => p.Key, p => p.Value);

    /// <summary>
    /// A variable's value for <paramref name="language"/>: <c>name.zh-CN</c> or <c>name.en</c> when the sender wrote the
    /// text in each language (an incident's notice), else the shared <c>name</c>.
    /// </summary>
    public static string? Value(IReadOnlyDictionary<string, string> variables, string name, string language) =>
        variables.TryGetValue($"{name}.{language}", out var own) ? own : variables.GetValueOrDefault(name);

    private static string Fill(string text, IReadOnlyDictionary<string, string> variables, string language)
    {
        var result = new StringBuilder(text.Length + 256);
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf('{', i);
            if (open < 0)
            {
                result.Append(text, i, text.Length - i);
                break;
            }

            var close = text.IndexOf('}', open);
            result.Append(text, i, open - i);
            result.Append(Value(variables, text[(open + 1)..close], language));
            i = close + 1;
        }

        return result.ToString();
    }
}

/// <summary>The variables do not fit the template; <see cref="Errors"/> names each problem by variable.</summary>
public sealed class TemplateVariablesException(IReadOnlyDictionary<string, string[]> errors)
    : Exception("The notice's variables do not fit its template.")
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
