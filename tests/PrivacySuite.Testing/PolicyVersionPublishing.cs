using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivacySuite.Testing;

/// <summary>
/// Publishing a policy version requires the announcement every subject is sent (issue 21.1); tests that publish for
/// another reason (a changed purpose, a raised guardian age) send this one.
/// </summary>
public static class PolicyVersionPublishing
{
    public static object Example => new
    {
        effectiveDate = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        summary = new { en = "We keep delivery data for 90 days instead of 180.", zhCn = "配送数据的保存期限由 180 天缩短为 90 天。" },
        reviewUrl = "https://example.com/policy/latest",
    };

    /// <summary>POSTs <paramref name="body"/> to the policy's versions, with <see cref="Example"/> unless it names an announcement.</summary>
    public static Task<HttpResponseMessage> PublishVersionAsync(this HttpClient client, string policyId, object body)
    {
        var json = JsonSerializer.SerializeToNode(body, JsonSerializerOptions.Web)!.AsObject();
        json.TryAdd("announcement", JsonSerializer.SerializeToNode(Example, JsonSerializerOptions.Web));
        return client.PostAsJsonAsync($"/v1/policies/{policyId}/versions", json);
    }
}
