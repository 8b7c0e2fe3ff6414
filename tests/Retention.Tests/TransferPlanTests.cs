using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

/// <summary>INF-5.3: a transfer in a merger is told to every affected subject before it takes effect.</summary>
public sealed class TransferPlanTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    private object Plan(DateOnly transferDate, object? categories = null, string? obligationsAcceptedBy = "Wang Fang, General Counsel") => new
    {
        recipient = "Example Holdings Ltd.",
        recipientContact = "privacy@holdings.example",
        transferDate,
        categories = categories ?? new[] { "Location" },
        purposes = "Running the scooter service as before.",
        obligationsAcceptedBy,
        agreementReference = "SPA-2026-117 §9.4",
    };

    private DateOnly Today => DateOnly.FromDateTime(factory.Clock.GetUtcNow().UtcDateTime);

    [Fact]
    [Trait("Clause", "INF-5.3")]
    public async Task Every_subject_with_data_of_the_categories_is_told_before_and_the_transfer_completes_only_on_its_date()
    {
        var located = Helpers.NewSubject("xfer-loc");
        var alsoLocated = Helpers.NewSubject("xfer-loc2");
        var deviceOnly = Helpers.NewSubject("xfer-dev");
        var erased = Helpers.NewSubject("xfer-gone");
        await Helpers.StoreAsync(factory, located, DataCategory.Location, 2);
        await Helpers.StoreAsync(factory, alsoLocated, DataCategory.Location);
        await Helpers.StoreAsync(factory, deviceOnly, DataCategory.Device);
        await Helpers.StoreAsync(factory, erased, DataCategory.Location);
        await factory.FarSide.PublishAsync(new SubjectErased(erased, Guid.NewGuid(), factory.Clock.GetUtcNow()));
        await Eventually.HoldsAsync(async () => await factory.ScalarAsync<long>($"select count(*) from retention_subjects where subject_id = '{erased}' and erased_at is not null") == 1,
            Helpers.Delivery, "the erasure was recorded");
        using var officer = factory.ClientFor(SuiteRoles.PrivacyOfficer, "officer-li");

        using var created = await officer.PostAsJsonAsync("/v1/transfer-plans", Plan(Today.AddDays(31)));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var plan = await created.Content.ReadFromJsonAsync<JsonElement>(Helpers.Json);
        var id = plan.GetProperty("id").GetGuid();
        Assert.Equal("Wang Fang, General Counsel", plan.GetProperty("obligationsAcceptedBy").GetString());
        JsonElement view = default;
        await Eventually.HoldsAsync(async () =>
        {
            view = await officer.GetFromJsonAsync<JsonElement>($"/v1/transfer-plans/{id}");
            return view.GetProperty("state").GetString() == "notified";
        }, Helpers.Delivery, "every affected subject was told");
        await Eventually.HoldsAsync(() => Task.FromResult(NoticesTo(located).Count == 1 && NoticesTo(alsoLocated).Count == 1), Helpers.Delivery,
            "the notices were published");
        await Task.Delay(500);

        Assert.Single(NoticesTo(located));
        Assert.Empty(NoticesTo(deviceOnly));
        Assert.Empty(NoticesTo(erased));
        var notice = NoticesTo(located)[0];
        Assert.Equal("Example Holdings Ltd.", notice.Variables["recipient"]);
        Assert.Equal(Today.AddDays(31).ToString("yyyy-MM-dd"), notice.Variables["transferDate"]);
        Assert.True(view.GetProperty("subjectsNotified").GetInt64() >= 2);
        Assert.Contains(factory.FarSide.Bulletins, b => b.Message.NoticeType == NoticeTypes.MergerTransferNotice && b.Message.Variables["recipient"] == "Example Holdings Ltd.");

        // Not before the day the subjects were told.
        using (var early = await officer.PostAsync($"/v1/transfer-plans/{id}/completion", null))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, early.StatusCode);
            Assert.Equal("application/problem+json", early.Content.Headers.ContentType?.MediaType);
        }

        factory.Clock.Advance(TimeSpan.FromDays(31));
        using (var done = await officer.PostAsync($"/v1/transfer-plans/{id}/completion", null))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
            var completed = await done.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("completed", completed.GetProperty("state").GetString());
            Assert.Equal("officer-li", completed.GetProperty("completedBy").GetString());
        }

        using var again = await officer.PostAsync($"/v1/transfer-plans/{id}/completion", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var operatorClient = factory.ClientFor(SuiteRoles.Operator);
        var listed = await operatorClient.GetFromJsonAsync<JsonElement>("/v1/transfer-plans");
        Assert.Contains(listed.EnumerateArray(), p => p.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    [Trait("Clause", "INF-5.3")]
    public async Task A_plan_too_soon_or_without_the_receivers_acceptance_is_refused_and_nothing_is_planned()
    {
        using var officer = factory.ClientFor(SuiteRoles.PrivacyOfficer);
        var before = await factory.ScalarAsync<long>("select count(*) from transfer_plans");

        using (var soon = await officer.PostAsJsonAsync("/v1/transfer-plans", Plan(Today.AddDays(29))))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, soon.StatusCode);
            Assert.Contains("INF-5.3", await soon.Content.ReadAsStringAsync());
        }

        foreach (var bad in new[] { Plan(Today.AddDays(40), obligationsAcceptedBy: null), Plan(Today.AddDays(40), categories: Array.Empty<string>()),
                     Plan(Today.AddDays(40), categories: new[] { "Business" }) })
        {
            using var refused = await officer.PostAsJsonAsync("/v1/transfer-plans", bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        using var unknown = await officer.PostAsync($"/v1/transfer-plans/{Guid.NewGuid()}/completion", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(before, await factory.ScalarAsync<long>("select count(*) from transfer_plans"));
    }

    private List<NoticeRequested> NoticesTo(string subject) =>
        factory.FarSide.Notices.Where(n => n.Message.SubjectId == subject && n.Message.NoticeType == NoticeTypes.MergerTransferNotice).Select(n => n.Message).ToList();
}
