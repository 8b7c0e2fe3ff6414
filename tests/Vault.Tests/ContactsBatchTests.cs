using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>POST /v1/subjects/contacts: many subjects' contacts in one call, under the single read's rules.</summary>
public sealed class ContactsBatchTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    public async Task A_batch_answers_each_subject_as_found_unknown_or_erased_and_logs_every_read()
    {
        await factory.StoreAsync("batch-1", "contact", new { email = "b1@example.cn", phone = "+86 136 0000 0011", language = "zh" });
        await factory.StoreAsync("batch-2", "contact", new { push = "fcm:b2", language = "en-GB" });
        await factory.StoreAsync("batch-gone", "contact", new { email = "gone@example.cn" });
        await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "batch-gone")
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.WrappedKey, (byte[]?)null)));
        using var service = factory.CreateClientFor(SuiteRoles.Service, "notifications");

        using var response = await service.PostAsJsonAsync("/v1/subjects/contacts",
            new { subjectIds = new[] { "batch-1", "batch-2", "batch-nobody", "batch-gone", "batch-1" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var subjects = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("subjects").EnumerateArray()
            .ToDictionary(e => e.GetProperty("subjectId").GetString()!);
        Assert.Equal(["batch-1", "batch-2", "batch-nobody", "batch-gone"], subjects.Keys);
        Assert.Equal("found", subjects["batch-1"].GetProperty("status").GetString());
        Assert.Equal("zh-CN", subjects["batch-1"].GetProperty("language").GetString());
        Assert.Equal([("email", "b1@example.cn"), ("sms", "+86 136 0000 0011")], Channels(subjects["batch-1"]));
        Assert.Equal("en", subjects["batch-2"].GetProperty("language").GetString());
        Assert.Equal([("push", "fcm:b2")], Channels(subjects["batch-2"]));
        Assert.Equal("unknown", subjects["batch-nobody"].GetProperty("status").GetString());
        Assert.Equal("erased", subjects["batch-gone"].GetProperty("status").GetString());
        Assert.Empty(subjects["batch-gone"].GetProperty("channels").EnumerateArray());
        var reads = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking()
            .Where(a => a.Action == "read" && a.SubjectId!.StartsWith("batch-")).ToListAsync());
        Assert.Equal(["batch-1", "batch-2"], reads.Select(r => r.SubjectId).Order());
        Assert.All(reads, r => Assert.Equal(("notification", "notifications", "allowed"), (r.Purpose, r.Accessor, r.Outcome)));
    }

    [Fact]
    public async Task A_batch_is_for_services_only_and_refuses_bad_input_with_problem_details()
    {
        await factory.StoreAsync("batch-3", "contact", new { email = "b3@example.cn" });
        using var service = factory.CreateClientFor(SuiteRoles.Service, "notifications");
        using var backend = factory.Backend();
        var tooMany = Enumerable.Range(0, 501).Select(i => $"batch-x{i}").ToArray();

        using var byBackend = await backend.PostAsJsonAsync("/v1/subjects/contacts", new { subjectIds = new[] { "batch-3" } });
        using var empty = await service.PostAsJsonAsync("/v1/subjects/contacts", new { subjectIds = Array.Empty<string>() });
        using var missing = await service.PostAsJsonAsync("/v1/subjects/contacts", new { });
        using var invalid = await service.PostAsJsonAsync("/v1/subjects/contacts", new { subjectIds = new[] { "batch-3", "bad id" } });
        using var overLimit = await service.PostAsJsonAsync("/v1/subjects/contacts", new { subjectIds = tooMany });
        using var malformed = await service.PostAsync("/v1/subjects/contacts", new StringContent("{\"subjectIds\": [", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        foreach (var refused in new[] { empty, missing, invalid, overLimit, malformed })
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        // A refused batch read nothing, so it logged nothing.
        Assert.False(await factory.WithDbAsync(db => db.AccessLog.AnyAsync(a => a.SubjectId == "batch-3" && a.Action == "read")));
    }

    private static List<(string?, string?)> Channels(JsonElement subject) =>
        subject.GetProperty("channels").EnumerateArray().Select(c => (c.GetProperty("channel").GetString(), c.GetProperty("address").GetString())).ToList();
}
