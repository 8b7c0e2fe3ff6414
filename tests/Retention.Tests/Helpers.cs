using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

internal static class Helpers
{
    public static readonly TimeSpan Delivery = TimeSpan.FromSeconds(30);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static string NewSubject(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];

    /// <summary>Stores <paramref name="count"/> tokens of a category for a subject, as the vault would announce them, and waits until retention knows them.</summary>
    public static async Task<List<string>> StoreAsync(RetentionFactory factory, string subject, DataCategory category, int count = 1, DateTimeOffset? at = null, string? purpose = null)
    {
        var tokens = Enumerable.Range(0, count).Select(_ => $"tok_{Guid.NewGuid():N}").ToList();
        foreach (var token in tokens)
        {
            await factory.FarSide.PublishAsync(new SubjectDataStored(subject, category, token, at ?? factory.Clock.GetUtcNow(), purpose));
        }

        await Eventually.HoldsAsync(
            async () => await factory.ScalarAsync<long>($"select count(*) from inventory_items where subject_id = '{subject}'") >= count,
            Delivery, "retention recorded the stored tokens");
        return tokens;
    }

    public static async Task<JsonElement> SweepAsync(RetentionFactory factory)
    {
        using var client = factory.ClientFor(SuiteRoles.Operator);
        using var response = await client.PostAsJsonAsync("/v1/sweeps", new { dryRun = false });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var sweep = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = sweep.GetProperty("id").GetGuid();
        JsonElement state = default;
        await Eventually.HoldsAsync(async () =>
        {
            state = await client.GetFromJsonAsync<JsonElement>($"/v1/sweeps/{id}");
            return state.GetProperty("state").GetString() == "completed";
        }, Delivery, "the sweep completed");
        return state;
    }

    public static async Task<JsonElement> SubjectAsync(RetentionFactory factory, string subject)
    {
        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer);
        using var response = await client.GetAsync($"/v1/subjects/{subject}/retention");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> PlaceHoldAsync(RetentionFactory factory, string? subject, DataCategory? category, string reason = "court-order")
    {
        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer, "officer-li");
        using var response = await client.PostAsJsonAsync("/v1/legal-holds", new
        {
            subjectId = subject,
            category = category?.ToString(),
            reasonCode = reason,
            reference = "case 2026-17",
            reviewAt = factory.Clock.GetUtcNow().AddDays(90),
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static async Task ReleaseHoldAsync(RetentionFactory factory, Guid holdId)
    {
        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer, "officer-wang");
        using var response = await client.PostAsJsonAsync($"/v1/legal-holds/{holdId}/release", new { note = "case closed" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Erasure or anonymisation requests retention committed for a subject (sent or still in its outbox).</summary>
    public static Task<long> RemovalsCommittedAsync(RetentionFactory factory, string subject) =>
        factory.ScalarAsync<long>(
            $"""
            select count(*) from outbox_messages m
            where m.message_type like '%RemovalsRequested%'
              and (jsonb_exists(m.payload->'subjectIds', '{subject}') or jsonb_exists(m.payload->'tokenSubjects', '{subject}'))
            """);

    public static IEnumerable<SubjectRemoval> ErasuresFor(this FarSide farSide, string subject) =>
        farSide.Erasures.Select(r => r.Message).Where(m => m.SubjectId == subject);
}
