using System.Security.Cryptography;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrivacySuite.ServiceDefaults.Messaging;
using PrivacySuite.Vault.Crypto;

namespace PrivacySuite.Vault.Tests;

/// <summary>Retention's erasure and anonymisation requests, as they arrive on the real broker, and what the vault answers.</summary>
public sealed class RetentionRequestTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(30);

    /// <summary>When the "old" values of the expired-removal tests were stored (set in SQL: the vault reads the system clock).</summary>
    private static readonly DateTimeOffset LongAgo = new(2025, 1, 15, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The cut-off of a collection schedule, as retention computes it: after <see cref="LongAgo"/>, before today.</summary>
    private static readonly DateTimeOffset CutOff = new(2025, 6, 1, 0, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_whole_subject_erasure_request_shreds_the_key_and_answers_with_the_sweep_item_and_both_regions()
    {
        var tokens = await factory.StoreAsync("rr-whole", "contact", new { email = "whole@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var item = Guid.NewGuid();

        await factory.PublishAsync(OneSubject(item, "erase", "rr-whole", null, "account-cancellation", [.. tokens.Values]));

        var answer = await AnswerAsync<RemovalsAnswered>(item);
        Assert.Equal("rr-whole", Assert.Single(answer.Certificates).SubjectId);
        Assert.Null(answer.Category);
        Assert.Equal([Region.Beijing, Region.Guangzhou], answer.Regions);
        var (status, reason) = await ReadAsync(tokens["email"]);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("erased", reason);
        Assert.DoesNotContain("whole@example.cn", (await factory.OutboxAsync()).Select(m => m.Payload));
    }

    [Fact]
    public async Task A_category_erasure_request_deletes_only_that_categorys_tokens()
    {
        var contact = await factory.StoreAsync("rr-cat", "contact", new { email = "cat@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var delivery = await factory.StoreAsync("rr-cat", "delivery", new { address = "1 Chang'an Avenue" }, legalBasis: "contract", purposes: ["delivery.offline"]);
        var item = Guid.NewGuid();

        await factory.PublishAsync(OneSubject(item, "erase", "rr-cat", DataCategory.Delivery, "schedule:Delivery/*/v1", [delivery["address"]]));

        var answer = await AnswerAsync<RemovalsAnswered>(item);
        Assert.Empty(answer.Refused);
        Assert.Equal(DataCategory.Delivery, answer.Category);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(delivery["address"])).Status);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(contact["email"])).Status);
        // The subject got a new data key for what remains: the deleted value's copies were under the old one.
        Assert.Equal(2, await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "rr-cat").Select(s => s.KeyGeneration).SingleAsync()));
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    [Trait("Clause", "INF-2.2")]
    public async Task An_erasure_request_under_a_legal_hold_is_refused_and_nothing_is_removed()
    {
        var tokens = await factory.StoreAsync("rr-held", "contact", new { email = "held@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var hold = Guid.NewGuid();
        await factory.PublishAsync(new LegalHoldPlaced(hold, "rr-held", null, "court-order", DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.LegalHolds.AnyAsync(h => h.HoldId == hold)), Delivery, "the vault recorded the hold");
        var item = Guid.NewGuid();

        await factory.PublishAsync(OneSubject(item, "erase", "rr-held", null, "account-cancellation", [.. tokens.Values]));

        // Refused, and not for a failure: for the hold.
        var refused = await AnswerAsync<RemovalsAnswered>(item);
        Assert.Equal(["rr-held"], refused.Refused);
        Assert.Empty(refused.Failed!);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(tokens["email"])).Status);
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "rr-held" && s.ErasedAt != null)));
        Assert.DoesNotContain(await factory.OutboxAsync(), m => m.MessageType.Contains(nameof(SubjectErased)) && m.Payload.Contains(item.ToString()));
    }

    [Fact]
    public async Task A_redelivered_erasure_request_is_handled_and_answered_once()
    {
        var tokens = await factory.StoreAsync("rr-twice", "usage", new { browser = "Firefox" }, "collected", "contract", ["service.provide"]);
        var item = Guid.NewGuid();
        var messageId = NewId.NextGuid();
        var request = OneSubject(item, "erase", "rr-twice", DataCategory.Usage, "schedule:Usage/*/v1", [tokens["browser"]]);
        var bus = await factory.TestBusAsync();

        await bus.Publish(request, c => c.MessageId = messageId);
        await bus.Publish(request, c => c.MessageId = messageId);

        await AnswerAsync<RemovalsAnswered>(item);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(await factory.OutboxAsync(), m => m.MessageType.Contains(nameof(RemovalsAnswered)) && m.Payload.Contains(item.ToString()));
        Assert.Equal(1, await factory.WithDbAsync(db => db.DeletionCertificates.CountAsync(c => c.SubjectId == "rr-twice")));
    }

    [Fact]
    public async Task Anonymisation_shreds_identifying_values_and_keeps_usage_only_under_a_random_id_with_new_tokens()
    {
        var contact = await factory.StoreAsync("rr-anon", "contact", new { email = "anon@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var usage = await factory.StoreAsync("rr-anon", "usage", new { pages = "42" }, "collected", "contract", ["service.provide"]);
        var item = Guid.NewGuid();

        await factory.PublishAsync(OneSubject(item, "anonymise", "rr-anon", null, "account-cancellation", [contact["email"], usage["pages"]]));

        var answer = await AnswerAsync<RemovalsAnswered>(item);
        Assert.Equal("anonymise", answer.Action);
        Assert.Empty(answer.Refused);
        Assert.Equal("erased", (await ReadAsync(contact["email"])).Reason);
        Assert.Equal("erased", (await ReadAsync(usage["pages"])).Reason);
        var kept = await factory.WithDbAsync(db => db.Values.AsNoTracking().Where(v => v.SubjectId.StartsWith("anon-")).ToListAsync());
        var moved = Assert.Single(kept, v => v.Field == "pages" && v.Category == "usage");
        Assert.NotEqual(usage["pages"], moved.Token);
        Assert.DoesNotContain(kept, v => v.Category == "contact");
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(moved.Token)).Status);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_database_backup_taken_before_erasure_cannot_be_decrypted_after_it_even_with_the_kek()
    {
        await factory.StoreAsync("rr-backup", "identity", new { name = "Backup Canary 7Q" }, legalBasis: "contract", purposes: ["service.provide"]);
        await factory.StoreAsync("rr-backup", "contact", new { email = "backup-7q@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var backup = await BackupAsync("rr-backup");
        // The backup is a real one: with the keys as they are now, it decrypts.
        Assert.Equal(["Backup Canary 7Q", "backup-7q@example.cn"], Restore(backup).Order());

        var item = Guid.NewGuid();
        await factory.PublishAsync(OneSubject(item, "erase", "rr-backup", null, "subject-request", []));
        await AnswerAsync<RemovalsAnswered>(item);

        // Everything that remains: the backup's rows, the key folder (KEKs, MAC key, other subjects' key files).
        Assert.Throws<SubjectKeyGoneException>(() => Restore(backup)); // the key file is gone
        var kek = new FileKeyProvider(factory.KeyDirectory).Kek(backup.Subject.KekVersion);
        Assert.ThrowsAny<CryptographicException>(() => Envelope.Unwrap(kek, backup.Subject.KekVersion, "rr-backup", backup.Subject.Generation, backup.Subject.WrappedKey));
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    public async Task A_backup_taken_before_a_category_erasure_cannot_decrypt_the_erased_category_afterwards()
    {
        await factory.StoreAsync("rr-catbackup", "location", new { gps = "22.5431,114.0579" }, "collected", "contract", ["iwalk.service.provide"]);
        var kept = await factory.StoreAsync("rr-catbackup", "contact", new { email = "catbackup@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var backup = await BackupAsync("rr-catbackup");
        Assert.Contains("22.5431,114.0579", Restore(backup));
        var location = backup.Values.Single(v => v.Category == "location").Token;
        var item = Guid.NewGuid();

        await factory.PublishAsync(OneSubject(item, "erase", "rr-catbackup", DataCategory.Location, "schedule:Location/*/v1", [location]));
        await AnswerAsync<RemovalsAnswered>(item);

        // The old generation's key file goes once the new one is committed; with it, the backup's copy of the location.
        await Eventually.HoldsAsync(() => Task.FromResult(!new SubjectKeyStore(factory.KeyDirectory).Exists("rr-catbackup", 1)),
            TimeSpan.FromSeconds(10), "the replaced key file was deleted");
        Assert.Throws<SubjectKeyGoneException>(() => Restore(backup));
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(kept["email"])).Status);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    [Trait("Clause", "IWK-2.5")]
    public async Task A_sweep_request_for_many_subjects_erases_each_and_answers_once_naming_the_subject_a_hold_kept()
    {
        var gone = await factory.StoreAsync("rr-many-gone", "contact", new { email = "many-gone@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var kept = await factory.StoreAsync("rr-many-held", "contact", new { email = "many-held@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var hold = Guid.NewGuid();
        await factory.PublishAsync(new LegalHoldPlaced(hold, "rr-many-held", null, "court-order", DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.LegalHolds.AnyAsync(h => h.HoldId == hold)), Delivery, "the vault recorded the hold");
        var request = Guid.NewGuid();

        await factory.PublishAsync(new RemovalsRequested(request, "erase", null, "account-cancellation", ["rr-many-gone", "rr-many-held", "rr-many-unknown"],
            [gone["email"], kept["email"]], ["rr-many-gone", "rr-many-held"], DateTimeOffset.UtcNow));

        var answer = await AnswerAsync<RemovalsAnswered>(request);
        Assert.Equal(["rr-many-held"], answer.Refused);
        // Every subject not refused has a certificate, the one the vault holds nothing of included.
        Assert.Equal(["rr-many-gone", "rr-many-unknown"], answer.Certificates.Select(c => c.SubjectId).Order());
        Assert.Equal([Region.Beijing, Region.Guangzhou], answer.Regions);
        Assert.Equal((HttpStatusCode.Forbidden, "erased"), await ReadAsync(gone["email"]));
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(kept["email"])).Status);
        var goneCertificate = answer.Certificates.Single(c => c.SubjectId == "rr-many-gone").DeletionCertificateId;
        Assert.True(await factory.WithDbAsync(db => db.DeletionCertificates.AnyAsync(c => c.CertificateId == goneCertificate && c.SubjectId == "rr-many-gone")));
        // One answer for the request, none per subject.
        var outbox = await factory.OutboxAsync();
        Assert.Single(outbox, m => m.MessageType.Contains(nameof(RemovalsAnswered)) && m.Payload.Contains(request.ToString()));
        Assert.DoesNotContain(outbox, m => m.MessageType.Contains(nameof(SubjectErased)) && m.Payload.Contains(request.ToString()));
    }

    [Fact]
    public async Task A_sweep_request_for_a_category_removes_only_the_listed_tokens_of_each_subject()
    {
        var first = await factory.StoreAsync("rr-cat-many-1", "location", new { gps = "39.9042,116.4074", cell = "460-00-1234" }, "collected", "contract", ["iwalk.service.provide"]);
        var second = await factory.StoreAsync("rr-cat-many-2", "location", new { gps = "31.2304,121.4737" }, "collected", "contract", ["iwalk.service.provide"]);
        var request = Guid.NewGuid();

        await factory.PublishAsync(new RemovalsRequested(request, "erase", DataCategory.Location, "schedule:Location/*/v1", [],
            [first["gps"], second["gps"]], ["rr-cat-many-1", "rr-cat-many-2"], DateTimeOffset.UtcNow));

        var answer = await AnswerAsync<RemovalsAnswered>(request);
        Assert.Empty(answer.Refused);
        Assert.Equal(DataCategory.Location, answer.Category);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(first["gps"])).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(second["gps"])).Status);
        // Not listed, so not due: it stays, under the subject's new key (a read of it may be refused for this purpose, never as gone).
        Assert.NotEqual(HttpStatusCode.NotFound, (await ReadAsync(first["cell"])).Status);
        Assert.NotEqual("erased", (await ReadAsync(first["cell"])).Reason);
        Assert.True(await factory.WithDbAsync(db => db.Values.AnyAsync(v => v.Token == first["cell"] && v.SubjectId == "rr-cat-many-1")));
        Assert.Equal(2, await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "rr-cat-many-1").Select(s => s.KeyGeneration).SingleAsync()));
    }

    [Fact]
    [Trait("Clause", "INF-2.2")]
    public async Task An_expired_removal_erases_the_named_subjects_values_stored_before_the_cut_off_and_nothing_later_or_elsewhere()
    {
        var first = await factory.StoreAsync("rr-exp-1", "location", new { gps = "39.9042,116.4074", cell = "460-00-2001" }, "collected", "contract", ["iwalk.service.provide"]);
        var second = await factory.StoreAsync("rr-exp-2", "location", new { gps = "31.2304,121.4737" }, "collected", "contract", ["iwalk.service.provide"]);
        var contact = await factory.StoreAsync("rr-exp-1", "contact", new { email = "exp-1@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var unnamed = await factory.StoreAsync("rr-exp-unnamed", "location", new { gps = "22.5431,114.0579" }, "collected", "contract", ["iwalk.service.provide"]);
        // A year old: gps of both named subjects, the first one's email, and the unnamed subject's gps. The first one's cell
        // was stored now, after the cut-off.
        await StoreAtAsync(LongAgo, first["gps"], second["gps"], contact["email"], unnamed["gps"]);
        var request = Guid.NewGuid();

        await factory.PublishAsync(new ExpiredRemovalsRequested(request, "erase", DataCategory.Location, "schedule:Location/collection/v1", CutOff,
            ["rr-exp-1", "rr-exp-2"], DateTimeOffset.UtcNow));

        var answer = await AnswerAsync<RemovalsAnswered>(request);
        Assert.Empty(answer.Refused);
        Assert.Empty(answer.Certificates);
        Assert.Equal(DataCategory.Location, answer.Category);
        Assert.Equal([Region.Beijing, Region.Guangzhou], answer.Regions);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(first["gps"])).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(second["gps"])).Status);
        Assert.True(await factory.WithDbAsync(db => db.Values.AnyAsync(v => v.Token == first["cell"] && v.SubjectId == "rr-exp-1")));
        Assert.NotEqual("erased", (await ReadAsync(first["cell"])).Reason);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(contact["email"])).Status);
        Assert.True(await factory.WithDbAsync(db => db.Values.AnyAsync(v => v.Token == unnamed["gps"])));
        // Removed as a category erasure: the subject was re-keyed, and the old generation's key file goes after the commit.
        Assert.Equal(2, await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "rr-exp-1").Select(s => s.KeyGeneration).SingleAsync()));
        await Eventually.HoldsAsync(() => Task.FromResult(!new SubjectKeyStore(factory.KeyDirectory).Exists("rr-exp-1", 1)),
            TimeSpan.FromSeconds(10), "the replaced key file was deleted");
        Assert.Equal(1, await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "rr-exp-unnamed").Select(s => s.KeyGeneration).SingleAsync()));
        Assert.Single(await factory.OutboxAsync(), m => m.MessageType.Contains(nameof(RemovalsAnswered)) && m.Payload.Contains(request.ToString()));
    }

    [Fact]
    public async Task An_expired_anonymisation_moves_the_old_usage_values_to_a_random_id_and_keeps_the_later_ones()
    {
        var old = await factory.StoreAsync("rr-exp-anon", "usage", new { expired_visits = "17" }, "collected", "contract", ["service.provide"]);
        var later = await factory.StoreAsync("rr-exp-anon", "usage", new { recent_visits = "3" }, "collected", "contract", ["service.provide"]);
        var contact = await factory.StoreAsync("rr-exp-anon", "contact", new { email = "exp-anon@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        await StoreAtAsync(LongAgo, old["expired_visits"], contact["email"]);
        var request = Guid.NewGuid();

        await factory.PublishAsync(new ExpiredRemovalsRequested(request, "anonymise", DataCategory.Usage, "schedule:Usage/collection/v1", CutOff,
            ["rr-exp-anon"], DateTimeOffset.UtcNow));

        var answer = await AnswerAsync<RemovalsAnswered>(request);
        Assert.Empty(answer.Refused);
        Assert.Equal("anonymise", answer.Action);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(old["expired_visits"])).Status);
        var moved = await factory.WithDbAsync(db => db.Values.AsNoTracking().SingleAsync(v => v.Field == "expired_visits"));
        Assert.StartsWith("anon-", moved.SubjectId);
        Assert.NotEqual(old["expired_visits"], moved.Token);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(moved.Token)).Status);
        Assert.True(await factory.WithDbAsync(db => db.Values.AnyAsync(v => v.Token == later["recent_visits"] && v.SubjectId == "rr-exp-anon")));
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(contact["email"])).Status);
    }

    [Fact]
    [Trait("Clause", "INF-6.4")]
    [Trait("Clause", "INF-2.2")]
    public async Task An_expired_removal_refuses_a_held_subject_keeps_its_values_and_announces_exactly_the_covered_ones_again()
    {
        var held = await factory.StoreAsync("rr-exp-held", "contact", new { email = "exp-held@example.cn", phone = "+86 139 0000 0021" }, legalBasis: "contract", purposes: ["service.provide"]);
        var heldLater = await factory.StoreAsync("rr-exp-held", "contact", new { wechat = "exp_held_later" }, legalBasis: "contract", purposes: ["service.provide"]);
        var gone = await factory.StoreAsync("rr-exp-free", "contact", new { email = "exp-free@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        await StoreAtAsync(LongAgo, held["email"], gone["email"]);
        await StoreAtAsync(LongAgo.AddDays(1), held["phone"]);
        var hold = Guid.NewGuid();
        await factory.PublishAsync(new LegalHoldPlaced(hold, "rr-exp-held", null, "complaint-or-dispute", DateTimeOffset.UtcNow));
        await Eventually.HoldsAsync(() => factory.WithDbAsync(db => db.LegalHolds.AnyAsync(h => h.HoldId == hold)), Delivery, "the vault recorded the hold");
        var before = (await factory.OutboxAsync()).Max(m => m.Sequence);
        var request = Guid.NewGuid();

        await factory.PublishAsync(new ExpiredRemovalsRequested(request, "erase", DataCategory.Contact, "schedule:Contact/collection/v1", CutOff,
            ["rr-exp-held", "rr-exp-free"], DateTimeOffset.UtcNow));

        var answer = await AnswerAsync<RemovalsAnswered>(request);
        Assert.Equal(["rr-exp-held"], answer.Refused);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(held["email"])).Status);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(held["phone"])).Status);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(heldLater["wechat"])).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(gone["email"])).Status);
        // Retention dropped the held subject's covered tokens from its inventory when it asked: they are announced again,
        // with the time each was first stored, and nothing else is.
        var announced = (await factory.OutboxAsync())
            .Where(m => m.Sequence > before && m.MessageType.Contains(nameof(SubjectDataStored)))
            .Select(m => JsonSerializer.Deserialize<SubjectDataStored>(m.Payload, new JsonSerializerOptions(JsonSerializerDefaults.Web))!)
            .OrderBy(e => e.StoredAt)
            .ToList();
        Assert.Equal(
            [new SubjectDataStored("rr-exp-held", DataCategory.Contact, held["email"], LongAgo), new SubjectDataStored("rr-exp-held", DataCategory.Contact, held["phone"], LongAgo.AddDays(1))],
            announced);
        Assert.True(await factory.WithDbAsync(db => db.AccessLog.AnyAsync(a => a.SubjectId == "rr-exp-held" && a.Action == "erasure" && a.Outcome == "denied")));
    }

    [Fact]
    public async Task A_redelivered_expired_removal_is_answered_once_and_removes_nothing_stored_since()
    {
        var first = await factory.StoreAsync("rr-exp-twice", "device", new { model = "Pixel 9" }, "collected", "contract", ["service.provide"]);
        await StoreAtAsync(LongAgo, first["model"]);
        var request = new ExpiredRemovalsRequested(Guid.NewGuid(), "erase", DataCategory.Device, "schedule:Device/collection/v1", CutOff,
            ["rr-exp-twice"], DateTimeOffset.UtcNow);
        var messageId = NewId.NextGuid();
        var bus = await factory.TestBusAsync();
        await bus.Publish(request, c => c.MessageId = messageId);
        await AnswerAsync<RemovalsAnswered>(request.RequestId);
        // Something the first delivery would have covered, stored after it: a redelivery must not reach it.
        var since = await factory.StoreAsync("rr-exp-twice", "device", new { imei = "356938035643809" }, "collected", "contract", ["service.provide"]);
        await StoreAtAsync(LongAgo, since["imei"]);

        await bus.Publish(request, c => c.MessageId = messageId);

        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(await factory.OutboxAsync(), m => m.MessageType.Contains(nameof(RemovalsAnswered)) && m.Payload.Contains(request.RequestId.ToString()));
        Assert.Equal(HttpStatusCode.NotFound, (await ReadAsync(first["model"])).Status);
        Assert.True(await factory.WithDbAsync(db => db.Values.AnyAsync(v => v.Token == since["imei"])));
        Assert.Equal(1, await factory.WithDbAsync(db => db.DeletionCertificates.CountAsync(c => c.SubjectId == "rr-exp-twice")));
        Assert.Equal(2, await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "rr-exp-twice").Select(s => s.KeyGeneration).SingleAsync()));
    }

    [Fact]
    public async Task A_subject_with_nothing_stored_before_the_cut_off_is_neither_refused_nor_touched()
    {
        var recent = await factory.StoreAsync("rr-exp-recent", "location", new { gps = "30.5728,104.0668" }, "collected", "contract", ["iwalk.service.provide"]);
        var accessLogBefore = await factory.WithDbAsync(db => db.AccessLog.CountAsync(a => a.SubjectId == "rr-exp-recent"));
        var request = Guid.NewGuid();

        await factory.PublishAsync(new ExpiredRemovalsRequested(request, "erase", DataCategory.Location, "schedule:Location/collection/v1", CutOff,
            ["rr-exp-recent", "rr-exp-never-stored"], DateTimeOffset.UtcNow));

        var answer = await AnswerAsync<RemovalsAnswered>(request);
        Assert.Empty(answer.Refused);
        Assert.True(await factory.WithDbAsync(db => db.Values.AnyAsync(v => v.Token == recent["gps"] && v.SubjectId == "rr-exp-recent")));
        Assert.Equal(1, await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "rr-exp-recent").Select(s => s.KeyGeneration).SingleAsync()));
        Assert.False(await factory.WithDbAsync(db => db.DeletionCertificates.AnyAsync(c => c.SubjectId == "rr-exp-recent" || c.SubjectId == "rr-exp-never-stored")));
        Assert.Equal(accessLogBefore, await factory.WithDbAsync(db => db.AccessLog.CountAsync(a => a.SubjectId == "rr-exp-recent")));
        Assert.False(await factory.WithDbAsync(db => db.Subjects.AnyAsync(s => s.SubjectId == "rr-exp-never-stored")));
    }

    [Fact]
    public async Task A_read_reports_the_tokens_use_to_retention_once_per_interval_and_a_denied_read_reports_nothing()
    {
        var tokens = await factory.StoreAsync("rr-used", "contact", new { email = "used@example.cn", phone = "+86 139 0000 0011" }, legalBasis: "contract", purposes: ["service.provide"]);
        var consentBased = await factory.StoreAsync("rr-used-denied", "contact", new { email = "denied@example.cn" });

        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(tokens["email"])).Status);
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(tokens["email"])).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReadAsync(consentBased["email"])).Status);

        var used = (await factory.OutboxAsync()).Where(m => m.MessageType.Contains(nameof(SubjectDataUsed))).ToList();
        var email = Assert.Single(used, m => m.Payload.Contains(tokens["email"]));
        Assert.Contains("rr-used", email.Payload);
        Assert.DoesNotContain(used, m => m.Payload.Contains(tokens["phone"]) || m.Payload.Contains(consentBased["email"]));
        Assert.DoesNotContain(used, m => m.Payload.Contains("used@example.cn"));
    }

    /// <summary>A sweep's request for one subject: the tokens are the subject's (a category request removes only them).</summary>
    private static RemovalsRequested OneSubject(Guid requestId, string action, string subjectId, DataCategory? category, string reason, IReadOnlyList<string> tokens) =>
        new(requestId, action, category, reason, [subjectId], tokens, [.. tokens.Select(_ => subjectId)], DateTimeOffset.UtcNow);

    private sealed record BackedUpSubject(byte[] WrappedKey, int KekVersion, int Generation, bool SubjectKey);

    private sealed record BackedUpValue(string Token, string Category, string Field, int Version, int Generation, byte[] Nonce, byte[] Ciphertext);

    private sealed record Backup(string SubjectId, BackedUpSubject Subject, List<BackedUpValue> Values);

    /// <summary>A copy of the subject's rows, as a pg_dump would hold them.</summary>
    private async Task<Backup> BackupAsync(string subjectId)
    {
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        BackedUpSubject subject;
        await using (var command = new NpgsqlCommand("select wrapped_key, kek_version, key_generation, subject_key from subjects where subject_id = $1", connection))
        {
            command.Parameters.AddWithValue(subjectId);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            subject = new((byte[])reader[0], reader.GetInt32(1), reader.GetInt32(2), reader.GetBoolean(3));
        }

        var values = new List<BackedUpValue>();
        await using (var command = new NpgsqlCommand(
            "select token, category, field, version, key_generation, nonce, ciphertext from personal_values where subject_id = $1", connection))
        {
            command.Parameters.AddWithValue(subjectId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                values.Add(new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4), (byte[])reader[5], (byte[])reader[6]));
            }
        }

        Assert.True(subject.SubjectKey);
        return new Backup(subjectId, subject, values);
    }

    /// <summary>Decrypts a backup the way the vault does, with fresh key objects reading the key folder as it is now.</summary>
    private List<string> Restore(Backup backup)
    {
        var kek = new FileKeyProvider(factory.KeyDirectory).Kek(backup.Subject.KekVersion);
        var subjectKey = new SubjectKeyStore(factory.KeyDirectory).Get(backup.SubjectId, backup.Subject.Generation);
        var dataKey = Envelope.Unwrap(SubjectKeyStore.WrappingKey(kek, subjectKey), backup.Subject.KekVersion, backup.SubjectId, backup.Subject.Generation, backup.Subject.WrappedKey);
        using var aes = new AesGcm(dataKey, Envelope.TagSize);
        return [.. backup.Values.Select(v => Encoding.UTF8.GetString(Envelope.Decrypt(aes, v.Nonce, v.Ciphertext,
            Envelope.ValueAad(backup.SubjectId, v.Category, v.Field, v.Token, v.Version, v.Generation))))];
    }

    /// <summary>Moves the values' stored_at into the past, as if they had been collected then.</summary>
    private async Task StoreAtAsync(DateTimeOffset storedAt, params string[] tokens)
    {
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("update personal_values set stored_at = $1 where token = any($2)", connection);
        command.Parameters.AddWithValue(storedAt);
        command.Parameters.AddWithValue(tokens);
        Assert.Equal(tokens.Length, await command.ExecuteNonQueryAsync());
    }

    /// <summary>The vault's answer to the sweep item, once its outbox relay has published it.</summary>
    private async Task<T> AnswerAsync<T>(Guid sweepItemId)
    {
        OutboxMessage? answer = null;
        await Eventually.HoldsAsync(async () =>
        {
            answer = (await factory.OutboxAsync()).FirstOrDefault(m => m.MessageType.Contains(typeof(T).Name) && m.Payload.Contains(sweepItemId.ToString()));
            return answer is { SentAt: not null };
        }, Delivery, $"the vault answered {typeof(T).Name} for the sweep item");
        return JsonSerializer.Deserialize<T>(answer!.Payload, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    private async Task<(HttpStatusCode Status, string? Reason)> ReadAsync(string token)
    {
        using var client = factory.Backend();
        using var response = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose = "service.provide" });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
    }
}
