using PrivacySuite.Contracts;

namespace PrivacySuite.Retention.Tests;

/// <summary>Issue 21.5: what in retention needs a person pages the on-call person, once each (the notification service repeats it).</summary>
public sealed class OnCallPageTests(RetentionFactory factory) : IClassFixture<RetentionFactory>
{
    [Fact]
    [Trait("Clause", "INF-2.2")]
    public async Task A_hold_still_standing_past_its_review_date_pages_once_and_a_released_one_never()
    {
        var standing = (await Helpers.PlaceHoldAsync(factory, Helpers.NewSubject("review"), DataCategory.Location)).GetProperty("id").GetGuid();
        var released = (await Helpers.PlaceHoldAsync(factory, Helpers.NewSubject("review"), DataCategory.Location)).GetProperty("id").GetGuid();
        await Helpers.ReleaseHoldAsync(factory, released);
        var pagesFor = (Guid hold) => factory.FarSide.Pages.Where(p => p.Message.Reference == hold.ToString()).ToList();

        factory.Clock.Advance(TimeSpan.FromDays(89));
        await Task.Delay(TimeSpan.FromSeconds(1)); // several rounds of the worker
        Assert.Empty(pagesFor(standing));

        factory.Clock.Advance(TimeSpan.FromDays(2));
        await Eventually.HoldsAsync(() => Task.FromResult(pagesFor(standing).Count == 1), Helpers.Delivery, "the overdue review is paged");
        await Task.Delay(TimeSpan.FromSeconds(1));

        var page = Assert.Single(pagesFor(standing)).Message;
        Assert.Equal(OnCallPageKinds.LegalHoldReviewOverdue, page.Kind);
        Assert.Contains(standing.ToString(), page.WhatEn);
        Assert.Contains("复核", page.WhatZhCn);
        // The officer's free-text reference and the held subject stay out of the page.
        Assert.DoesNotContain("case 2026-17", page.WhatEn + page.WhatZhCn);
        Assert.DoesNotContain("review-", page.WhatEn + page.WhatZhCn);
        Assert.Empty(pagesFor(released));
    }

    [Fact]
    public async Task Removals_the_vault_leaves_unanswered_for_an_hour_page_once_per_sweep()
    {
        var subject = Helpers.NewSubject("stuck");
        await Helpers.StoreAsync(factory, subject, DataCategory.Location, 2, factory.Clock.GetUtcNow().AddDays(-400));
        factory.FarSide.AnswersAsVault = false;
        try
        {
            var sweep = (await Helpers.SweepAsync(factory)).GetProperty("id").GetGuid();
            await Eventually.HoldsAsync(() => Task.FromResult(factory.FarSide.Erasures.Any(e => e.Message.SubjectId == subject)), Helpers.Delivery, "the erasure was requested");
            var pagesFor = () => factory.FarSide.Pages.Where(p => p.Message.Reference == sweep.ToString()).ToList();

            factory.Clock.Advance(TimeSpan.FromMinutes(59));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Empty(pagesFor());

            factory.Clock.Advance(TimeSpan.FromMinutes(2));
            await Eventually.HoldsAsync(() => Task.FromResult(pagesFor().Count == 1), Helpers.Delivery, "the unanswered removals are paged");
            factory.Clock.Advance(TimeSpan.FromHours(2));
            await Task.Delay(TimeSpan.FromSeconds(1));

            var page = Assert.Single(pagesFor()).Message;
            Assert.Equal(OnCallPageKinds.RemovalsStuck, page.Kind);
            Assert.Contains("unanswered since", page.WhatEn);
            Assert.DoesNotContain(subject, page.WhatEn + page.WhatZhCn);
        }
        finally
        {
            factory.FarSide.AnswersAsVault = true;
        }
    }
}
