using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

public sealed class LegalHoldTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    [Trait("Clause", "INF-2.2")]
    public async Task Placing_and_releasing_a_hold_is_audited_and_announced()
    {
        var subject = Helpers.NewSubject("audit");
        var hold = await Helpers.PlaceHoldAsync(factory, subject, DataCategory.Location, "authority");
        var id = hold.GetProperty("id").GetGuid();
        Assert.Equal("officer-li", hold.GetProperty("placedBy").GetString());
        Assert.Equal("authority", hold.GetProperty("reasonCode").GetString());
        Assert.Equal("case 2026-17", hold.GetProperty("reference").GetString());

        await Helpers.ReleaseHoldAsync(factory, id);

        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer);
        var view = await client.GetFromJsonAsync<JsonElement>($"/v1/legal-holds/{id}");
        var audit = view.GetProperty("audit").EnumerateArray().Select(a => (a.GetProperty("action").GetString(), a.GetProperty("actor").GetString())).ToList();
        Assert.Equal([("placed", "officer-li"), ("released", "officer-wang")], audit);
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.HoldsPlaced.Any(h => h.Message.HoldId == id) && factory.FarSide.HoldsReleased.Any(h => h.Message.HoldId == id)),
            Helpers.Delivery, "LegalHoldPlaced and LegalHoldReleased were published");
        var placed = factory.FarSide.HoldsPlaced.Single(h => h.Message.HoldId == id).Message;
        Assert.Equal((subject, DataCategory.Location, "authority"), (placed.SubjectId, placed.Category, placed.ReasonCode));

        using var again = await client.PostAsJsonAsync($"/v1/legal-holds/{id}/release", new { note = "twice" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
    }

    public static TheoryData<string> BadHolds => new()
    {
        """{"reasonCode":"court-order","reference":"r","reviewAt":"2099-01-01T00:00:00Z"}""",
        """{"subjectId":"s-1","reasonCode":"because","reference":"r","reviewAt":"2099-01-01T00:00:00Z"}""",
        """{"subjectId":"s-1","reasonCode":"law","reference":"","reviewAt":"2099-01-01T00:00:00Z"}""",
        """{"subjectId":"s-1","reasonCode":"law","reference":"r"}""",
        """{"subjectId":"not an id!","reasonCode":"law","reference":"r","reviewAt":"2099-01-01T00:00:00Z"}""",
        """{"subjectId":"s-1","category":"Business","reasonCode":"law","reference":"r","reviewAt":"2099-01-01T00:00:00Z"}""",
        """{"subjectId":"s-1","reasonCode":"law","reference":"r","reviewAt":"2001-01-01T00:00:00Z"}""",
        """{"subjectId": 42""",
    };

    [Theory]
    [MemberData(nameof(BadHolds))]
    public async Task Bad_hold_requests_answer_problem_details_and_place_nothing(string body)
    {
        var before = await factory.ScalarAsync<long>("select count(*) from legal_holds");
        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer);

        using var response = await client.PostAsync("/v1/legal-holds", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await factory.ScalarAsync<long>("select count(*) from legal_holds"));
    }

    [Fact]
    public async Task Only_a_privacy_officer_places_holds()
    {
        using var client = factory.CreateProductBackendClient();

        using var response = await client.PostAsJsonAsync("/v1/legal-holds", new { subjectId = "s-1", reasonCode = "law", reference = "r", reviewAt = DateTimeOffset.UtcNow.AddDays(9) });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task Category_hold_keeps_that_category_while_the_rest_of_an_expired_schedule_goes()
    {
        var subject = Helpers.NewSubject("cathold");
        var stored = factory.Clock.GetUtcNow();
        var location = await Helpers.StoreAsync(factory, subject, DataCategory.Location, 2, stored);
        await Helpers.StoreAsync(factory, subject, DataCategory.Usage, 1, stored);
        var hold = await Helpers.PlaceHoldAsync(factory, subject, DataCategory.Usage, "safety");

        factory.Clock.Advance(TimeSpan.FromDays(200)); // past the location (90 d) and usage (180 d) schedules
        await Helpers.SweepAsync(factory);

        await Eventually.HoldsAsync(async () => (await Helpers.SubjectAsync(factory, subject)).GetProperty("activeTokens").GetInt32() == 1,
            Helpers.Delivery, "only the held usage token is left");
        // The inventory drops the tokens when the sweep commits its request; the request itself arrives through the outbox.
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.ErasuresFor(subject).Any()), Helpers.Delivery, "the location erasure was requested");
        var erasure = Assert.Single(factory.FarSide.ErasuresFor(subject));
        Assert.Equal(DataCategory.Location, erasure.Category);
        Assert.Equal(location.Order(StringComparer.Ordinal), erasure.Tokens!.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(factory.FarSide.Anonymisations, a => a.Message.SubjectId == subject);
        var status = await Helpers.SubjectAsync(factory, subject);
        Assert.Contains("safety", status.GetProperty("blockedBecause").GetString());

        await Helpers.ReleaseHoldAsync(factory, hold.GetProperty("id").GetGuid());
        await Helpers.SweepAsync(factory);
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Anonymisations.Any(a => a.Message.SubjectId == subject)),
            Helpers.Delivery, "the usage token is anonymised once released");
        var anonymisation = factory.FarSide.Anonymisations.Single(a => a.Message.SubjectId == subject).Message;
        Assert.Equal(DataCategory.Usage, anonymisation.Category);
    }
}
