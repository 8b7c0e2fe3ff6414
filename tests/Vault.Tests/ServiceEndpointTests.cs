using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

public sealed class ServiceEndpointTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    public async Task Contacts_are_decrypted_for_the_notification_service_and_logged_with_purpose_notification()
    {
        await factory.StoreAsync("notify-1", "contact", new { email = "n1@example.cn", phone = "+86 136 0000 0004", push = "fcm:abc123", language = "zh-CN" });
        using var service = factory.CreateClientFor(SuiteRoles.Service, "notifications");

        var contacts = await service.GetFromJsonAsync<JsonElement>("/v1/subjects/notify-1/contacts");

        Assert.Equal("zh-CN", contacts.GetProperty("language").GetString());
        var channels = contacts.GetProperty("channels").EnumerateArray().Select(c => (c.GetProperty("channel").GetString(), c.GetProperty("address").GetString())).ToList();
        Assert.Equal([("email", "n1@example.cn"), ("sms", "+86 136 0000 0004"), ("push", "fcm:abc123")], channels);
        var entry = await factory.WithDbAsync(db => db.AccessLog.SingleAsync(a => a.SubjectId == "notify-1" && a.Action == "read"));
        Assert.Equal("notification", entry.Purpose);
        Assert.Equal("notifications", entry.Accessor);
    }

    [Fact]
    public async Task Contacts_answer_null_language_when_unknown_and_are_for_services_only()
    {
        await factory.StoreAsync("notify-2", "contact", new { email = "n2@example.cn" });
        using var service = factory.CreateClientFor(SuiteRoles.Service, "notifications");
        using var backend = factory.Backend();

        var contacts = await service.GetFromJsonAsync<JsonElement>("/v1/subjects/notify-2/contacts");
        using var byBackend = await backend.GetAsync("/v1/subjects/notify-2/contacts");
        using var unknown = await service.GetAsync("/v1/subjects/nobody/contacts");
        using var invalid = await service.GetAsync("/v1/subjects/bad%20id/contacts");

        Assert.Equal(JsonValueKind.Null, contacts.GetProperty("language").ValueKind);
        Assert.Single(contacts.GetProperty("channels").EnumerateArray());
        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Affected_subjects_are_paged_by_category_and_window()
    {
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        for (var i = 0; i < 5; i++)
        {
            await factory.StoreAsync($"aff-{i}", i % 2 == 0 ? "contact" : "device", new { value = $"v{i}" }, "collected");
        }

        var to = DateTimeOffset.UtcNow.AddMinutes(1);
        using var onCall = factory.CreateClientFor(SuiteRoles.OnCall, "oncall-1");
        var url = $"/v1/subjects/affected?categories=contact,identity&from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}&limit=2";

        var first = await onCall.GetFromJsonAsync<JsonElement>(url);
        var next = first.GetProperty("next").GetString();
        var second = await onCall.GetFromJsonAsync<JsonElement>(url + "&after=" + next);
        var before = await onCall.GetFromJsonAsync<JsonElement>(
            $"/v1/subjects/affected?categories=contact&from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z");

        var ids = first.GetProperty("subjectIds").EnumerateArray().Concat(second.GetProperty("subjectIds").EnumerateArray()).Select(e => e.GetString()).ToList();
        Assert.Equal(["aff-0", "aff-2", "aff-4"], ids.Where(id => id!.StartsWith("aff-")));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        Assert.Empty(before.GetProperty("subjectIds").EnumerateArray());
    }

    [Theory]
    [InlineData("categories=business&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")]
    [InlineData("categories=contact&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("categories=contact&from=yesterday&to=2026-01-01T00:00:00Z")]
    [InlineData("categories=contact&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&limit=0")]
    [InlineData("categories=contact&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&after=%%%")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z")]
    public async Task Bad_affected_queries_answer_400(string query)
    {
        using var service = factory.CreateClientFor(SuiteRoles.Service, "incidents");

        using var response = await service.GetAsync("/v1/subjects/affected?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Affected_subjects_are_for_services_and_on_call_only()
    {
        using var backend = factory.Backend();

        using var response = await backend.GetAsync("/v1/subjects/affected?categories=contact&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
