using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivacySuite.Testing;

/// <summary>
/// Publishing a policy version requires the announcement every subject is sent (issue 21.1) and the version's text
/// (issue 20.4); tests that publish for another reason (a changed purpose, a raised guardian age) send these.
/// </summary>
public static class PolicyVersionPublishing
{
    public static object Example => new
    {
        effectiveDate = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        summary = new { en = "We keep delivery data for 90 days instead of 180.", zhCn = "配送数据的保存期限由 180 天缩短为 90 天。" },
        reviewUrl = "https://example.com/policy/latest",
    };

    /// <summary>A short excerpt of a real policy (the seeds' Infobird statement) and its translation.</summary>
    public static object Text => new
    {
        en = "# Privacy Policy\n\nInfobird Co., Ltd (\u201cInfobird\u201d) takes the protection of your privacy very seriously.",
        zhCn = "# 隐私政策\n\n讯鸟公司（“讯鸟”）非常重视您的隐私保护。",
    };

    /// <summary>
    /// POSTs <paramref name="body"/> to the policy's versions, with <see cref="Example"/> unless it names an announcement
    /// and <see cref="Text"/> unless it names a text.
    /// </summary>
    public static Task<HttpResponseMessage> PublishVersionAsync(this HttpClient client, string policyId, object body)
    {
        var json = JsonSerializer.SerializeToNode(body, JsonSerializerOptions.Web)!.AsObject();
        json.TryAdd("announcement", JsonSerializer.SerializeToNode(Example, JsonSerializerOptions.Web));
        json.TryAdd("text", JsonSerializer.SerializeToNode(Text, JsonSerializerOptions.Web));
        return client.PostAsJsonAsync($"/v1/policies/{policyId}/versions", json);
    }
}
