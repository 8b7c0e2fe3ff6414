using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Removal requests the vault fails on, on the real broker: one bad subject does not hold back the others of its request,
/// and a request that fails as a whole after its retries is answered, not left in an error queue.
/// </summary>
public sealed class RequestFailureTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    [Fact]
    [Trait("Clause", "INF-2.2")]
    [Trait("Clause", "IWK-2.5")]
    public async Task One_bad_subject_is_undone_and_reported_while_the_others_of_its_request_are_removed()
    {
        var subjects = new[] { "rf-good-1", "rf-bad", "rf-good-2" };
        var tokens = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var subject in subjects)
        {
            tokens[subject] = await factory.StoreAsync(subject, "usage", new { clicks = $"{subject} clicks", visits = $"{subject} visits" }, "collected", "contract", ["service.provide"]);
        }

        // A damaged value the re-key after the removal must decrypt: that subject fails, inside the request's transaction.
        await factory.ExecuteSqlAsync($"update personal_values set ciphertext = decode('00112233445566778899aabbccddeeff00', 'hex') where token = '{tokens["rf-bad"]["visits"]}'");
        var requestId = Guid.NewGuid();

        await factory.PublishAsync(new RemovalsRequested(requestId, "erase", DataCategory.Usage, "schedule:Usage/*/v1", subjects,
            [.. subjects.Select(s => tokens[s]["clicks"])], subjects, DateTimeOffset.UtcNow));

        var answer = await AnswerAsync<RemovalsAnswered>(requestId);
        Assert.Equal(["rf-bad"], answer.Refused);
        Assert.Equal(["rf-bad"], answer.Failed!);
        foreach (var good in new[] { "rf-good-1", "rf-good-2" })
        {
            Assert.Equal(HttpStatusCode.NotFound, await ReadAsync(tokens[good]["clicks"]));
            Assert.Equal(HttpStatusCode.OK, await ReadAsync(tokens[good]["visits"]));
        }

        // Nothing of the bad subject's part stayed: its value is there, under its first key.
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(tokens["rf-bad"]["clicks"]));
        Assert.Equal(1, await factory.WithDbAsync(db => db.Subjects.Where(s => s.SubjectId == "rf-bad").Select(s => s.KeyGeneration).SingleAsync()));
        Assert.Contains(factory.Logs, l => l.Contains($"Subject rf-bad of RemovalsRequested {requestId} failed", StringComparison.Ordinal));
        Assert.DoesNotContain(factory.Logs, l => l.Contains("rf-bad clicks", StringComparison.Ordinal) || l.Contains("rf-bad visits", StringComparison.Ordinal));
        // The undone subject's access-log entries went with it, and the anchor did not move to them.
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }

    [Fact]
    [Trait("Clause", "INF-2.2")]
    public async Task A_request_that_fails_after_its_retries_is_answered_as_refused_by_a_vault_failure()
    {
        var removal = await factory.StoreAsync("rf-whole-1", "contact", new { email = "rf-whole-1@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var erasure = await factory.StoreAsync("rf-whole-2", "contact", new { email = "rf-whole-2@example.cn" }, legalBasis: "contract", purposes: ["service.provide"]);
        var (removalMessage, erasureMessage) = (Guid.NewGuid(), Guid.NewGuid());
        // The database refuses these two messages' inbox claims on every delivery: the requests fail as a whole.
        await factory.ExecuteSqlAsync($"""
            create function refuse_claim() returns trigger language plpgsql as $$ begin raise exception 'claim refused'; end $$;
            create trigger refuse_claim before insert on inbox_messages for each row
                when (new.message_id in ('{removalMessage}', '{erasureMessage}')) execute function refuse_claim();
            """);
        var (requestId, sweepItemId) = (Guid.NewGuid(), Guid.NewGuid());
        var bus = await factory.TestBusAsync();

        await bus.Publish(new RemovalsRequested(requestId, "erase", null, "account-cancellation", ["rf-whole-1"], [], [], DateTimeOffset.UtcNow),
            c => c.MessageId = removalMessage);
        await bus.Publish(new RemovalsRequested(sweepItemId, "anonymise", null, "account-cancellation", ["rf-whole-2"], [], [], DateTimeOffset.UtcNow),
            c => c.MessageId = erasureMessage);

        var answered = await AnswerAsync<RemovalsAnswered>(requestId);
        Assert.Equal(["rf-whole-1"], answered.Refused);
        Assert.Equal(["rf-whole-1"], answered.Failed!);
        Assert.Empty(answered.Certificates);
        var refused = await AnswerAsync<RemovalsAnswered>(sweepItemId);
        Assert.Equal(["rf-whole-2"], refused.Refused);
        Assert.Equal(["rf-whole-2"], refused.Failed!);

        // Nothing was removed, and what is logged names ids and the exception type only.
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(removal["email"]));
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(erasure["email"]));
        Assert.Contains(factory.Logs, l => l.Contains($"RemovalsRequested {requestId} failed after its retries (PostgresException)", StringComparison.Ordinal));
        Assert.Contains(factory.Logs, l => l.Contains($"RemovalsRequested {sweepItemId} failed after its retries", StringComparison.Ordinal));
        Assert.DoesNotContain(factory.Logs, l => l.Contains("@example.cn", StringComparison.Ordinal));
        await factory.ExecuteSqlAsync("drop trigger refuse_claim on inbox_messages; drop function refuse_claim();");
    }

    private async Task<T> AnswerAsync<T>(Guid id)
    {
        OutboxMessage? answer = null;
        await Eventually.HoldsAsync(async () =>
        {
            answer = (await factory.OutboxAsync()).FirstOrDefault(m => m.MessageType.Contains(typeof(T).Name) && m.Payload.Contains(id.ToString()));
            return answer is { SentAt: not null };
        }, Delivery, $"the vault answered {typeof(T).Name} for {id}");
        return JsonSerializer.Deserialize<T>(answer!.Payload, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    private async Task<HttpStatusCode> ReadAsync(string token)
    {
        using var client = factory.Backend();
        using var response = await client.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose = "service.provide" });
        return response.StatusCode;
    }
}
