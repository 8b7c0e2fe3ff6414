using Microsoft.Extensions.DependencyInjection;
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
    [InlineData("scope=window&categories=contact&from=2026-01-01T00:00:00Z")]
    public async Task Bad_affected_queries_answer_400(string query)
    {
        using var service = factory.CreateClientFor(SuiteRoles.Service, "incidents");

        using var response = await service.GetAsync("/v1/subjects/affected?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("scope=backup&categories=contact", "scope")]
    [InlineData("scope=category", "categories")]
    [InlineData("scope=category&categories=business", "categories")]
    [InlineData("scope=category&categories=contact&from=2026-01-01T00:00:00Z", "from")]
    [InlineData("scope=category&categories=contact&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("scope=everyone&categories=contact", "categories")]
    [InlineData("scope=everyone&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z", "from")]
    [InlineData("scope=everyone&limit=5001", "limit")]
    public async Task An_affected_query_whose_scope_is_unknown_or_mixed_with_another_is_refused_naming_the_field(string query, string field)
    {
        using var service = factory.CreateClientFor(SuiteRoles.Service, "incidents");

        using var response = await service.GetAsync("/v1/subjects/affected?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Affected_subjects_by_category_are_listed_whenever_their_data_was_stored_and_paged_by_subject_id()
    {
        await factory.StoreAsync("cat-3", "contact", new { email = "c3@example.cn" });
        await factory.StoreAsync("cat-1", "location", new { city = "Beijing" });
        await factory.StoreAsync("cat-1", "contact", new { email = "c1@example.cn", phone = "+86 136 0000 0001" });
        await factory.StoreAsync("cat-2", "device", new { imei = "356938035643809" });
        await factory.StoreAsync("cat-4", "location", new { city = "Xi'an" });
        // Stored long ago: outside any recent window, still affected by a leaked backup of the category.
        await factory.ExecuteSqlAsync("update personal_values set stored_at = '2019-05-01', updated_at = '2019-05-01' where subject_id = 'cat-3'");
        using var service = factory.CreateClientFor(SuiteRoles.Service, "incidents");

        var ids = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await service.GetFromJsonAsync<JsonElement>(
                "/v1/subjects/affected?scope=category&categories=contact,location&limit=2" + (next is null ? "" : "&after=" + next));
            ids.AddRange(page.GetProperty("subjectIds").EnumerateArray().Select(e => e.GetString()!));
            next = page.GetProperty("next").GetString();
            pages++;
        }
        while (next is not null && pages < 100);
        var window = await service.GetFromJsonAsync<JsonElement>(
            $"/v1/subjects/affected?scope=window&categories=contact,location&from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}&limit=5000");

        Assert.Equal(["cat-1", "cat-3", "cat-4"], ids.Where(id => id.StartsWith("cat-")));
        Assert.Equal(ids.Count, ids.Distinct().Count()); // cat-1 has two categories and two contact fields: listed once
        Assert.DoesNotContain("cat-3", window.GetProperty("subjectIds").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Everyone_lists_every_subject_the_vault_holds_erased_ones_included_as_the_window_does()
    {
        await factory.StoreAsync("all-1", "device", new { imei = "356938035643809" });
        await factory.StoreAsync("all-2", "contact", new { email = "a2@example.cn" });
        await factory.StoreAsync("all-3", "usage", new { page = "/home" });
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            Assert.IsType<PrivacySuite.Vault.Model.VaultService.ErasureResult.Erased>(
                await scope.ServiceProvider.GetRequiredService<PrivacySuite.Vault.Model.VaultService>().EraseAsync("all-2", "subject-request", "test", CancellationToken.None));
        }

        using var onCall = factory.CreateClientFor(SuiteRoles.OnCall, "oncall-1");
        var ids = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await onCall.GetFromJsonAsync<JsonElement>("/v1/subjects/affected?scope=everyone&limit=3" + (next is null ? "" : "&after=" + next));
            ids.AddRange(page.GetProperty("subjectIds").EnumerateArray().Select(e => e.GetString()!));
            next = page.GetProperty("next").GetString();
            pages++;
        }
        while (next is not null && pages < 1000);
        var held = await factory.WithDbAsync(db => db.Subjects.Select(s => s.SubjectId).ToListAsync());

        Assert.Equal(["all-1", "all-2", "all-3"], ids.Where(id => id.StartsWith("all-")));
        Assert.Equal(held.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task Named_subjects_are_checked_against_the_vault_without_reading_their_data()
    {
        await factory.StoreAsync("named-1", "contact", new { email = "nm1@example.cn" });
        await factory.StoreAsync("named-2", "device", new { imei = "356938035643809" });
        var logged = await factory.AccessLogHeadAsync();
        using var service = factory.CreateClientFor(SuiteRoles.Service, "incidents");

        using var response = await service.PostAsJsonAsync("/v1/subjects/known", new { subjectIds = new[] { "named-2", "named-typo", "named-1", "named-2" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["named-1", "named-2"], answer.GetProperty("known").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["named-typo"], answer.GetProperty("unknown").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(logged, await factory.AccessLogHeadAsync());
    }

    [Fact]
    public async Task A_bad_named_subject_list_is_refused_naming_the_entry_and_it_is_for_services_and_on_call_only()
    {
        using var service = factory.CreateClientFor(SuiteRoles.Service, "incidents");
        using var backend = factory.Backend();

        using var badId = await service.PostAsJsonAsync("/v1/subjects/known", new { subjectIds = new[] { "ok-1", "not an id" } });
        using var empty = await service.PostAsJsonAsync("/v1/subjects/known", new { subjectIds = Array.Empty<string>() });
        using var tooMany = await service.PostAsJsonAsync("/v1/subjects/known", new { subjectIds = Enumerable.Range(0, 501).Select(i => $"s-{i}").ToArray() });
        using var byBackend = await backend.PostAsJsonAsync("/v1/subjects/known", new { subjectIds = new[] { "ok-1" } });

        Assert.Equal(["subjectIds[1]"], (await badId.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
    }

    [Fact]
    public async Task Affected_subjects_are_for_services_and_on_call_only()
    {
        using var backend = factory.Backend();

        using var response = await backend.GetAsync("/v1/subjects/affected?categories=contact&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
