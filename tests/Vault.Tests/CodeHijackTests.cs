using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Issue 18.4, "subject rights cannot be hijacked": each test tries one attack and fails if it works. A product backend
/// that overwrites a contact cannot redirect codes; a code alone does not hand out data of the highest protection level;
/// no one-time code can be read from a table, the outbox or a message on RabbitMQ; an expired code is never handed out.
/// </summary>
public sealed class CodeHijackTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "18")]
    public async Task Overwriting_the_contact_field_does_not_redirect_codes_nor_verify_the_new_contact_alone()
    {
        await factory.VerifyContactAsync("hijack-1", "owner.hijack1@example.cn");
        using var backend = factory.Backend();

        // The attack: overwrite the contact the vault holds, then ask for a code to export everything.
        await factory.StoreAsync("hijack-1", "contact", new { email = "attacker@evil.example" });
        var (_, channels) = await ReleaseNewRequestAsync(backend, "hijack-1", "export");
        Assert.Equal([("email", "owner.hijack1@example.cn")], channels);

        // The attack, one step further: have the overwritten contact verified. Its own code reaches the attacker, but the
        // change also needs the code sent to the verified contact (or the subject's own token).
        using var started = await backend.PostAsJsonAsync("/v1/subjects/hijack-1/contact-verifications", new { field = "email" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var proof = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("verified-contact", proof.GetProperty("confirmWith").GetString());
        var proofId = proof.GetProperty("verificationId").GetGuid();
        var confirmationId = proof.GetProperty("confirmationId").GetGuid();
        var (proofCode, proofChannels) = await factory.ReleaseCodeAsync(proofId);
        var (confirmationCode, confirmationChannels) = await factory.ReleaseCodeAsync(confirmationId);
        Assert.Equal([("email", "attacker@evil.example")], proofChannels);
        Assert.Equal([("email", "owner.hijack1@example.cn")], confirmationChannels);
        var guess = confirmationCode == "000000" ? "111111" : "000000";

        using var alone = await backend.PostAsJsonAsync("/v1/subjects/hijack-1/verified-contacts", new { verificationId = proofId, code = proofCode });
        using var guessed = await backend.PostAsJsonAsync("/v1/subjects/hijack-1/verified-contacts",
            new { verificationId = proofId, code = proofCode, confirmationId, confirmationCode = guess });
        using var swapped = await backend.PostAsJsonAsync("/v1/subjects/hijack-1/verified-contacts",
            new { verificationId = confirmationId, code = confirmationCode, confirmationId = proofId, confirmationCode = proofCode });

        Assert.Equal("confirmation-required", await ReasonAsync(alone, HttpStatusCode.Forbidden));
        Assert.Equal("wrong-code", await ReasonAsync(guessed, HttpStatusCode.Forbidden));
        Assert.Equal("unknown-verification", await ReasonAsync(swapped, HttpStatusCode.Forbidden));
        var (_, after) = await ReleaseNewRequestAsync(backend, "hijack-1", "export");
        Assert.Equal([("email", "owner.hijack1@example.cn")], after);
        Assert.Contains(await factory.WithDbAsync(db => db.AccessLog.Where(a => a.SubjectId == "hijack-1" && a.Action == "contact-verification").Select(a => a.Detail).ToListAsync()),
            d => d == "reason=confirmation-required");
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task A_contact_proof_sent_before_the_field_changed_again_neither_sends_nor_verifies()
    {
        await factory.VerifyContactAsync("hijack-2", "owner.hijack2@example.cn");
        await factory.StoreAsync("hijack-2", "contact", new { email = "new.hijack2@example.cn" });
        using var backend = factory.Backend();
        using var started = await backend.PostAsJsonAsync("/v1/subjects/hijack-2/contact-verifications", new { field = "email" });
        var proofId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();

        // Swapped for another address between the start and the send: the code is not made, nothing goes anywhere.
        await factory.StoreAsync("hijack-2", "contact", new { email = "attacker@evil.example" });
        using var notifications = factory.CreateClientFor(SuiteRoles.Service, "notifications");
        using var release = await notifications.PostAsync($"/v1/verifications/{proofId}/delivery", null);

        Assert.Equal("contact-changed", await ReasonAsync(release, HttpStatusCode.Conflict));
        Assert.Null((await factory.WithDbAsync(db => db.Verifications.SingleAsync(v => v.VerificationId == proofId))).CodeHash);
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task A_change_confirmed_through_the_verified_contact_or_the_subjects_own_token_moves_where_codes_go()
    {
        using var backend = factory.Backend();
        await factory.VerifyContactAsync("change-1", "old.change1@example.cn");
        await factory.StoreAsync("change-1", "contact", new { email = "new.change1@example.cn" });
        await factory.VerifyContactAsync("change-1"); // the new code, and the confirmation the old contact received
        Assert.Equal([("email", "new.change1@example.cn")], (await ReleaseNewRequestAsync(backend, "change-1", "access")).Channels);

        await factory.VerifyContactAsync("change-2", "old.change2@example.cn");
        await factory.StoreAsync("change-2", "contact", new { email = "new.change2@example.cn" });
        using var subject = factory.CreateClientFor(SuiteRoles.Subject, "change-2");
        using var started = await subject.PostAsJsonAsync("/v1/subjects/change-2/contact-verifications", new { field = "email" });
        var proof = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("own-token", JsonValueKind.Null), (proof.GetProperty("confirmWith").GetString(), proof.GetProperty("confirmationId").ValueKind));
        var proofId = proof.GetProperty("verificationId").GetGuid();
        var (code, _) = await factory.ReleaseCodeAsync(proofId);

        // The token confirms, not the code: a product backend holding the code is still refused.
        using var byBackend = await backend.PostAsJsonAsync("/v1/subjects/change-2/verified-contacts", new { verificationId = proofId, code });
        using var bySubject = await subject.PostAsJsonAsync("/v1/subjects/change-2/verified-contacts", new { verificationId = proofId, code });

        Assert.Equal("confirmation-required", await ReasonAsync(byBackend, HttpStatusCode.Forbidden));
        Assert.Equal(HttpStatusCode.OK, bySubject.StatusCode);
        Assert.Equal("email", (await bySubject.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("channel").GetString());
        Assert.Equal([("email", "new.change2@example.cn")], (await ReleaseNewRequestAsync(backend, "change-2", "access")).Channels);
    }

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    [Trait("Clause", "INF-6.3")]
    public async Task Access_and_export_of_the_highest_level_need_the_subjects_token_or_an_officers_approval_not_a_code_alone()
    {
        await factory.StoreAsync("high-1", "identity", new { name = "Gao Feng", id_number = "110101199001010011" });
        await factory.VerifyContactAsync("high-1");
        using var backend = factory.Backend();
        using var officer = factory.Officer();

        // The attack: a product backend that holds a valid code asks for everything.
        var (exportId, exportCode) = await factory.StartRequestAsync(backend, "high-1", "export");
        var (accessId, accessCode) = await factory.StartRequestAsync(backend, "high-1", "access");
        using var export = await backend.PostAsJsonAsync("/v1/subjects/high-1/export", new { verificationId = exportId, code = exportCode });
        using var access = await backend.PostAsJsonAsync("/v1/subjects/high-1/access", new { verificationId = accessId, code = accessCode });

        Assert.Equal("approval-required", await ReasonAsync(export, HttpStatusCode.Forbidden));
        Assert.Equal("approval-required", await ReasonAsync(access, HttpStatusCode.Forbidden));
        Assert.DoesNotContain("Gao Feng", await export.Content.ReadAsStringAsync());

        // An officer's approval, recorded on the request, lets the same code through; the approval is in the queue.
        using var approved = await officer.PostAsync($"/v1/subject-requests/{exportId}/approval", null);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("officer-1", (await approved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("approvedBy").GetString());
        using var exported = await backend.PostAsJsonAsync("/v1/subjects/high-1/export", new { verificationId = exportId, code = exportCode });
        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        Assert.Contains("Gao Feng", await exported.Content.ReadAsStringAsync());

        // The subject's own token is the other way.
        using var subject = factory.CreateClientFor(SuiteRoles.Subject, "high-1");
        var (ownId, ownCode) = await factory.StartRequestAsync(subject, "high-1", "access");
        using var own = await subject.PostAsJsonAsync("/v1/subjects/high-1/access", new { verificationId = ownId, code = ownCode });
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        // Approving what is not an open access or export is refused; a product backend may not approve at all.
        var (erasureId, _) = await factory.StartRequestAsync(backend, "high-1", "erasure");
        using var notApprovable = await officer.PostAsync($"/v1/subject-requests/{erasureId}/approval", null);
        using var used = await officer.PostAsync($"/v1/subject-requests/{exportId}/approval", null);
        using var byBackend = await backend.PostAsync($"/v1/subject-requests/{accessId}/approval", null);
        Assert.Equal("nothing-to-approve", await ReasonAsync(notApprovable, HttpStatusCode.Conflict));
        Assert.Equal("verification-used", await ReasonAsync(used, HttpStatusCode.Conflict));
        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);

        // Without data of the highest level a code is enough, as before.
        await factory.StoreAsync("low-1", "usage", new { visits = "4" }, "collected");
        var (lowId, lowCode) = await factory.StartRequestAsync(backend, "low-1", "export");
        using var low = await backend.PostAsJsonAsync("/v1/subjects/low-1/export", new { verificationId = lowId, code = lowCode });
        Assert.Equal(HttpStatusCode.OK, low.StatusCode);
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "18")]
    public async Task No_one_time_code_can_be_read_from_a_table_the_outbox_or_a_message_off_RabbitMQ()
    {
        var captured = new ConcurrentQueue<string>();
        var bus = await factory.TestBusAsync();
        var handle = bus.ConnectReceiveEndpoint($"test-capture-notices-{Guid.NewGuid():N}", endpoint =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.Durable = false;
                rabbit.AutoDelete = true;
                rabbit.SetQueueArgument("x-queue-type", "classic");
            }

            endpoint.Handler<NoticeRequested>(context =>
            {
                // The message as it travelled: the raw body off the broker, not the deserialised record.
                captured.Enqueue(Encoding.UTF8.GetString(context.ReceiveContext.Body.GetBytes()));
                return Task.CompletedTask;
            });
        });
        await handle.Ready;
        try
        {
            var codes = new List<string>();
            using var backend = factory.Backend();
            await factory.StoreAsync("nocode-1", "contact", new { email = "nocode1@example.cn" });
            using var started = await backend.PostAsJsonAsync("/v1/subjects/nocode-1/contact-verifications", new { field = "email" });
            var proofId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
            var (proofCode, _) = await factory.ReleaseCodeAsync(proofId);
            codes.Add(proofCode);
            using (var verified = await backend.PostAsJsonAsync("/v1/subjects/nocode-1/verified-contacts", new { verificationId = proofId, code = proofCode }))
            {
                Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
            }

            var ids = new List<Guid> { proofId };
            foreach (var request in new[] { "access", "erasure" })
            {
                var (id, code) = await factory.StartRequestAsync(backend, "nocode-1", request);
                ids.Add(id);
                codes.Add(code);
            }

            // One code left unused (its request still open), one redeemed.
            using (var accessed = await backend.PostAsJsonAsync("/v1/subjects/nocode-1/access", new { verificationId = ids[1], code = codes[1] }))
            {
                Assert.Equal(HttpStatusCode.OK, accessed.StatusCode);
            }

            await Eventually.HoldsAsync(() => Task.FromResult(ids.All(id => captured.Any(m => m.Contains(id.ToString(), StringComparison.Ordinal)))),
                TimeSpan.FromSeconds(20), "every NoticeRequested was captured off RabbitMQ");
            var places = new Dictionary<string, string>(await DatabaseSnapshot.TablesAsTextAsync(factory.DatabaseConnectionString))
            {
                ["outbox"] = string.Join('\n', (await factory.OutboxAsync()).Select(m => m.Payload)),
                ["messages off RabbitMQ"] = string.Join('\n', captured),
                ["logs"] = string.Join('\n', factory.Logs),
            };

            // The control: what is scanned holds the references the codes are fetched by.
            Assert.All(ids, id => Assert.Matches($"\"verificationId\":\\s*\"{id}\"", places["messages off RabbitMQ"]));
            Assert.Contains("verifications", places.Keys);
            foreach (var code in codes)
            {
                var needle = new Regex($"(?<![0-9]){code}(?![0-9])");
                foreach (var (place, text) in places)
                {
                    Assert.False(needle.IsMatch(text), $"{place} holds a one-time code");
                }
            }
        }
        finally
        {
            await handle.StopAsync();
        }
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    public async Task An_expired_code_is_never_handed_out_a_code_is_handed_out_once_and_one_never_made_redeems_nothing()
    {
        await factory.VerifyContactAsync("expiry-1");
        using var backend = factory.Backend();
        using var notifications = factory.CreateClientFor(SuiteRoles.Service, "notifications");

        using var expiring = await backend.PostAsJsonAsync("/v1/subjects/expiry-1/verifications", new { request = "export" });
        var expiredId = (await expiring.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        await factory.ExecuteSqlAsync($"update verifications set expires_at = now() - interval '1 second' where verification_id = '{expiredId}'");
        using var expired = await notifications.PostAsync($"/v1/verifications/{expiredId}/delivery", null);
        Assert.Equal("verification-expired", await ReasonAsync(expired, HttpStatusCode.Gone));
        Assert.Null((await factory.WithDbAsync(db => db.Verifications.SingleAsync(v => v.VerificationId == expiredId))).CodeHash);

        var (onceId, _) = await factory.StartRequestAsync(backend, "expiry-1", "export");
        using var again = await notifications.PostAsync($"/v1/verifications/{onceId}/delivery", null);
        Assert.Equal("code-released", await ReasonAsync(again, HttpStatusCode.Gone));

        using var unsent = await backend.PostAsJsonAsync("/v1/subjects/expiry-1/verifications", new { request = "export" });
        var unsentId = (await unsent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        using var guess = await backend.PostAsJsonAsync("/v1/subjects/expiry-1/export", new { verificationId = unsentId, code = "123456" });
        Assert.Equal("wrong-code", await ReasonAsync(guess, HttpStatusCode.Forbidden));

        // A subject without a verified contact gets no code at all.
        await factory.StoreAsync("expiry-2", "contact", new { email = "unverified@example.cn" });
        using var none = await backend.PostAsJsonAsync("/v1/subjects/expiry-2/verifications", new { request = "export" });
        Assert.Equal("no-verified-contact", await ReasonAsync(none, HttpStatusCode.Conflict));
    }

    /// <summary>Starts a rights request and fetches its code as the notification service does: where would it go?</summary>
    private async Task<(string Code, List<(string Channel, string Address)> Channels)> ReleaseNewRequestAsync(HttpClient client, string subjectId, string request)
    {
        using var started = await client.PostAsJsonAsync($"/v1/subjects/{subjectId}/verifications", new { request });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return await factory.ReleaseCodeAsync((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid());
    }

    private static async Task<string?> ReasonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString();
    }
}
