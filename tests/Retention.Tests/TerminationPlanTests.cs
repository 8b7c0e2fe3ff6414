using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Retention.Tests;

public sealed class TerminationPlanTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.6")]
    public async Task Termination_notifies_everyone_at_once_reminds_them_stops_collection_and_then_erases_everything()
    {
        var subjects = Enumerable.Range(0, 3).Select(i => Helpers.NewSubject($"term{i}")).ToList();
        foreach (var subject in subjects)
        {
            await Helpers.StoreAsync(factory, subject, DataCategory.Contact, 2);
        }

        var held = subjects[2];
        await Helpers.PlaceHoldAsync(factory, held, null, "agreement-enforcement");
        using var client = factory.ClientFor(SuiteRoles.PrivacyOfficer);

        using var tooSoon = await client.PostAsJsonAsync("/v1/termination-plans", new { endsAt = factory.Clock.GetUtcNow().AddDays(29), action = "erase" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooSoon.StatusCode);
        Assert.Equal("application/problem+json", tooSoon.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, await factory.ScalarAsync<long>("select count(*) from termination_plans"));

        var endsAt = factory.Clock.GetUtcNow().AddDays(31);
        using var created = await client.PostAsJsonAsync("/v1/termination-plans", new { endsAt, action = "erase", reminderDaysBefore = new[] { 7 } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var planId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // At once: each subject individually, and a bulletin.
        await Eventually.HoldsAsync(() => Task.FromResult(subjects.All(s => factory.FarSide.Notices.Any(n => n.Message.SubjectId == s && n.Message.NoticeType == NoticeTypes.TerminationNotice))
            && factory.FarSide.Bulletins.Any(b => b.Message.NoticeType == NoticeTypes.TerminationNotice)), Helpers.Delivery, "every subject and the bulletin got the notice");
        Assert.DoesNotContain(factory.FarSide.Notices, n => n.Message.NoticeType == NoticeTypes.TerminationReminder);
        var notices = factory.FarSide.Notices.Select(n => n.Message).Where(n => n.NoticeType == NoticeTypes.TerminationNotice && subjects.Contains(n.SubjectId)).ToList();
        Assert.All(notices, n => Assert.Equal(endsAt.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), n.Variables["endDate"]));
        Assert.Single(notices.Select(n => n.RequestedAt).Distinct()); // one notice, requested when the plan was made, whatever the batch

        using var second = await client.PostAsJsonAsync("/v1/termination-plans", new { endsAt = endsAt.AddDays(10), action = "erase" });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);

        factory.Clock.Advance(TimeSpan.FromDays(25)); // 6 days left: the 7-day reminder is due
        await Eventually.HoldsAsync(() => Task.FromResult(subjects.All(s => factory.FarSide.Notices.Any(n => n.Message.SubjectId == s && n.Message.NoticeType == NoticeTypes.TerminationReminder))
            && factory.FarSide.Bulletins.Any(b => b.Message.NoticeType == NoticeTypes.TerminationReminder)), Helpers.Delivery, "the reminders went out");
        Assert.Empty(factory.FarSide.CollectionStops);
        var reminder = factory.FarSide.Notices.First(n => n.Message.NoticeType == NoticeTypes.TerminationReminder).Message;
        Assert.Equal("7", reminder.Variables["daysLeft"]);

        factory.Clock.Advance(TimeSpan.FromDays(7)); // past the end date: collection stops and a sweep removes everything
        await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.CollectionStops.Any(c => c.Message.PlanId == planId)), Helpers.Delivery, "collection stopped");
        await Eventually.HoldsAsync(() => Task.FromResult(subjects.Take(2).All(s => factory.FarSide.ErasuresFor(s).Any(e => e.Category is null && e.Reason == "service-termination"))),
            Helpers.Delivery, "every unheld subject was erased");

        JsonElement plan = default;
        await Eventually.HoldsAsync(async () =>
        {
            plan = await client.GetFromJsonAsync<JsonElement>($"/v1/termination-plans/{planId}");
            return plan.GetProperty("subjectsRemoved").GetInt64() == 2;
        }, Helpers.Delivery, "the plan shows both unheld subjects removed");
        Assert.Equal("removing", plan.GetProperty("state").GetString());
        Assert.Equal(3, plan.GetProperty("subjectsNotified").GetInt64());
        Assert.Equal(1, plan.GetProperty("subjectsRemaining").GetInt64());
        Assert.Equal(1, plan.GetProperty("subjectsHeld").GetInt64());
        Assert.Equal(0, await Helpers.RemovalsCommittedAsync(factory, held));
    }
}
