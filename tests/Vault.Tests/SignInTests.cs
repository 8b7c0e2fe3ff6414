using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>
/// Issue 20, INF-6.3: a person signs in to the privacy centre with a code sent to the verified contact they typed. The
/// answers never tell whether an address is known, the code goes to that contact alone, and it is spent once.
/// </summary>
public sealed class SignInTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task A_verified_email_signs_in_as_its_subject_and_the_code_goes_to_that_contact_only()
    {
        await VerifyEmailAndPhoneAsync("signin-1", "sign.in1@example.cn", "+86 138 0000 0101");
        using var anonymous = factory.CreateClient();

        // Typed as people type: other case, spaces around. The lookup normalises as stores do.
        var (id, expiresAt) = await StartAsync(anonymous, "email", "  Sign.In1@Example.CN ");
        var (code, channels) = await factory.ReleaseCodeAsync(id);
        using var redeemed = await anonymous.PostAsJsonAsync($"/v1/sign-in/{id}/redemption", new { code });

        Assert.Equal([("email", "sign.in1@example.cn")], channels);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10.1));
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        var body = await redeemed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("signin-1", body.GetProperty("subjectId").GetString());
        Assert.InRange(body.GetProperty("signedInAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
        var notice = (await factory.OutboxAsync()).Single(m => m.MessageType.Contains("NoticeRequested") && m.Payload.Contains(id.ToString()));
        Assert.Contains(NoticeTypes.VerificationCode, notice.Payload);
        Assert.DoesNotContain(code, notice.Payload);

        // The phone signs in alike, and its code goes by SMS only.
        var (phoneId, _) = await StartAsync(anonymous, "phone", "+86 138-0000-0101");
        var (_, phoneChannels) = await factory.ReleaseCodeAsync(phoneId);
        Assert.Equal([("sms", "+86 138 0000 0101")], phoneChannels);

        var log = await LogAsync("signin-1");
        Assert.Contains(log, a => a.Action == "sign-in" && a.Outcome == "allowed" && a.Accessor == "anonymous" && a.Detail == $"verification={id};field=email");
        Assert.Contains(log, a => a.Action == "verification" && a.Detail == "request=sign-in;field=phone");
        Assert.All(log, a => Assert.False((a.Detail ?? "").Contains(code, StringComparison.Ordinal) || (a.Detail ?? "").Contains("example.cn", StringComparison.OrdinalIgnoreCase)));
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task An_unknown_address_gets_the_same_answer_and_nothing_is_stored_or_sent()
    {
        await factory.VerifyContactAsync("signin-2", "known.signin2@example.cn");
        using var anonymous = factory.CreateClient();
        using var known = await anonymous.PostAsJsonAsync("/v1/sign-in", new { field = "email", value = "known.signin2@example.cn" });
        var before = await CountsAsync();

        using var unknown = await anonymous.PostAsJsonAsync("/v1/sign-in", new { field = "email", value = "nobody.signin2@example.cn" });

        Assert.Empty(DatabaseSnapshot.Differences(before, await CountsAsync()));
        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(known.StatusCode, unknown.StatusCode);
        var (knownBody, unknownBody) = (await known.Content.ReadFromJsonAsync<JsonElement>(), await unknown.Content.ReadFromJsonAsync<JsonElement>());
        Assert.Equal(Shape(knownBody), Shape(unknownBody));
        Assert.Equal(known.Content.Headers.ContentType?.ToString(), unknown.Content.Headers.ContentType?.ToString());
        Assert.InRange(unknownBody.GetProperty("expiresAt").GetDateTimeOffset() - knownBody.GetProperty("expiresAt").GetDateTimeOffset(), TimeSpan.Zero, TimeSpan.FromSeconds(30));

        // Its id redeems nothing, with the answer a wrong code gets.
        var (knownCode, _) = await factory.ReleaseCodeAsync(knownBody.GetProperty("signInId").GetGuid());
        using var nobody = await anonymous.PostAsJsonAsync($"/v1/sign-in/{unknownBody.GetProperty("signInId").GetGuid()}/redemption", new { code = knownCode });
        using var wrong = await anonymous.PostAsJsonAsync($"/v1/sign-in/{knownBody.GetProperty("signInId").GetGuid()}/redemption", new { code = Wrong(knownCode) });
        Assert.Equal(await RefusalAsync(wrong), await RefusalAsync(nobody));
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task A_stored_but_unverified_address_gets_no_code_nor_does_a_verified_one_overwritten_since()
    {
        await factory.StoreAsync("signin-3", "contact", new { email = "unverified.signin3@example.cn" });
        await factory.VerifyContactAsync("signin-4", "old.signin4@example.cn");
        await factory.StoreAsync("signin-4", "contact", new { email = "new.signin4@example.cn" });
        using var anonymous = factory.CreateClient();

        var answers = new List<HttpStatusCode>();
        foreach (var value in new[] { "unverified.signin3@example.cn", "old.signin4@example.cn", "new.signin4@example.cn" })
        {
            using var response = await anonymous.PostAsJsonAsync("/v1/sign-in", new { field = "email", value });
            answers.Add(response.StatusCode);
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a));
        Assert.False(await factory.WithDbAsync(db => db.Verifications.AnyAsync(v => v.Request == "sign-in" && (v.SubjectId == "signin-3" || v.SubjectId == "signin-4"))));
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task An_address_verified_for_two_subjects_gets_no_code_and_the_log_line_names_no_address()
    {
        await factory.VerifyContactAsync("signin-5a", "Shared.SignIn5@example.cn");
        await factory.VerifyContactAsync("signin-5b", "shared.signin5@example.cn");
        using var anonymous = factory.CreateClient();

        await StartAsync(anonymous, "email", "shared.signin5@example.cn");

        Assert.False(await factory.WithDbAsync(db => db.Verifications.AnyAsync(v => v.Request == "sign-in" && v.SubjectId.StartsWith("signin-5"))));
        Assert.Contains(factory.Logs, l => l.Contains("A sign-in by email sent no code", StringComparison.Ordinal));
        Assert.DoesNotContain(factory.Logs, l => l.Contains("shared.signin5", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task Wrong_spent_expired_and_exhausted_codes_are_refused_alike_counted_and_logged()
    {
        await factory.VerifyContactAsync("signin-6", "signin6@example.cn");
        using var anonymous = factory.CreateClient();

        var (id, _) = await StartAsync(anonymous, "email", "signin6@example.cn");
        var (code, _) = await factory.ReleaseCodeAsync(id);
        using var wrong = await RedeemAsync(anonymous, id, Wrong(code));
        var attempts = await factory.WithDbAsync(db => db.Verifications.Where(v => v.VerificationId == id).Select(v => v.Attempts).SingleAsync());
        using var right = await RedeemAsync(anonymous, id, code);
        using var spent = await RedeemAsync(anonymous, id, code);

        var (expiringId, _) = await StartAsync(anonymous, "email", "signin6@example.cn");
        var (expiringCode, _) = await factory.ReleaseCodeAsync(expiringId);
        await factory.ExecuteSqlAsync($"update verifications set expires_at = now() - interval '1 second' where verification_id = '{expiringId}'");
        using var expired = await RedeemAsync(anonymous, expiringId, expiringCode);

        var (guessedId, _) = await StartAsync(anonymous, "email", "signin6@example.cn");
        var (guessedCode, _) = await factory.ReleaseCodeAsync(guessedId);
        for (var i = 0; i < 5; i++)
        {
            using var guess = await RedeemAsync(anonymous, guessedId, Wrong(guessedCode, i));
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }

        using var exhausted = await RedeemAsync(anonymous, guessedId, guessedCode);
        using var unknown = await RedeemAsync(anonymous, Guid.NewGuid(), code);

        Assert.Equal(1, attempts);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var refusal = await RefusalAsync(wrong);
        Assert.Equal((401, "sign-in-refused"), (refusal.Status, refusal.Reason));
        foreach (var response in new[] { spent, expired, exhausted, unknown })
        {
            Assert.Equal(refusal, await RefusalAsync(response));
        }

        var log = await LogAsync("signin-6");
        var reasons = log.Where(a => a.Action == "sign-in" && a.Outcome == "denied").Select(a => a.Detail!.Split("reason=")[1]).ToList();
        Assert.Equal(["wrong-code", "verification-used", "verification-expired", "wrong-code", "wrong-code", "wrong-code", "wrong-code", "wrong-code", "too-many-attempts"],
            reasons);
        Assert.All(log, a => Assert.DoesNotContain(code, a.Detail ?? "", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task A_sign_in_whose_contact_was_verified_anew_before_its_code_was_sent_sends_nothing()
    {
        await factory.VerifyContactAsync("signin-7", "first.signin7@example.cn");
        using var anonymous = factory.CreateClient();
        var (id, _) = await StartAsync(anonymous, "email", "first.signin7@example.cn");

        // The subject moves to another address and verifies it (with their own token) before the notice goes out.
        await factory.StoreAsync("signin-7", "contact", new { email = "second.signin7@example.cn" });
        using var own = factory.CreateClientFor(SuiteRoles.Subject, "signin-7");
        using var started = await own.PostAsJsonAsync("/v1/subjects/signin-7/contact-verifications", new { field = "email" });
        var proofId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        var (proofCode, _) = await factory.ReleaseCodeAsync(proofId);
        using var verified = await own.PostAsJsonAsync("/v1/subjects/signin-7/verified-contacts", new { verificationId = proofId, code = proofCode });
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);

        using var notifications = factory.CreateClientFor(SuiteRoles.Service, "notifications");
        using var release = await notifications.PostAsync($"/v1/verifications/{id}/delivery", null);

        Assert.Equal(HttpStatusCode.Conflict, release.StatusCode);
        Assert.Equal("contact-changed", (await release.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Null((await factory.WithDbAsync(db => db.Verifications.SingleAsync(v => v.VerificationId == id))).CodeHash);
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task Malformed_sign_ins_and_redemptions_are_validation_problems()
    {
        using var anonymous = factory.CreateClient();
        var bodies = new object[]
        {
            new { field = "fax", value = "010 1234 5678" },
            new { field = "push", value = "device-token" },
            new { field = "email", value = "" },
            new { field = "email", value = "   " },
            new { field = "email", value = "no-at-sign.example.cn" },
            new { field = "phone", value = "call me" },
            new { field = "email", value = new string('a', 4097) + "@example.cn" },
            new { field = "email" },
            new { value = "someone@example.cn" },
            new { field = "email", value = "someone@example.cn", subjectId = "signin-x" },
        };
        var before = await CountsAsync();
        foreach (var body in bodies)
        {
            using var response = await anonymous.PostAsJsonAsync("/v1/sign-in", body);
            await AssertBadRequestAsync(response);
        }

        var id = Guid.NewGuid();
        foreach (var body in new object[] { new { code = "" }, new { code = new string('1', 17) }, new { }, new { code = 123456 } })
        {
            using var response = await anonymous.PostAsJsonAsync($"/v1/sign-in/{id}/redemption", body);
            await AssertBadRequestAsync(response);
        }

        using var notJson = await anonymous.PostAsync("/v1/sign-in", new StringContent("field=email&value=x", System.Text.Encoding.UTF8, "application/json"));
        await AssertBadRequestAsync(notJson);
        Assert.Empty(DatabaseSnapshot.Differences(before, await CountsAsync()));
    }

    private async Task VerifyEmailAndPhoneAsync(string subjectId, string email, string phone)
    {
        await factory.VerifyContactAsync(subjectId, email);
        // The phone alone: storing the e-mail again would make a new version of it, no longer the one verified.
        await factory.StoreAsync(subjectId, "contact", new { phone });
        // The subject's own token confirms the second contact (no code to the first one needed).
        using var own = factory.CreateClientFor(SuiteRoles.Subject, subjectId);
        using var started = await own.PostAsJsonAsync($"/v1/subjects/{subjectId}/contact-verifications", new { field = "phone" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var proofId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        var (code, _) = await factory.ReleaseCodeAsync(proofId);
        using var verified = await own.PostAsJsonAsync($"/v1/subjects/{subjectId}/verified-contacts", new { verificationId = proofId, code });
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
    }

    private static async Task<(Guid Id, DateTimeOffset ExpiresAt)> StartAsync(HttpClient client, string field, string value)
    {
        using var response = await client.PostAsJsonAsync("/v1/sign-in", new { field, value });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("signInId").GetGuid(), body.GetProperty("expiresAt").GetDateTimeOffset());
    }

    private static Task<HttpResponseMessage> RedeemAsync(HttpClient client, Guid id, string code) =>
        client.PostAsJsonAsync($"/v1/sign-in/{id}/redemption", new { code });

    private static async Task<(int Status, string? Reason, string? Title, string? Detail)> RefusalAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return ((int)response.StatusCode, problem.GetProperty("reason").GetString(), problem.GetProperty("title").GetString(), problem.GetProperty("detail").GetString());
    }

    private static async Task AssertBadRequestAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static string Shape(JsonElement body) => string.Join(',', body.EnumerateObject().Select(p => $"{p.Name}:{p.Value.ValueKind}"));

    private static string Wrong(string code, int offset = 0) => ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1 + offset) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    private Task<List<Model.AccessLogEntry>> LogAsync(string subjectId) =>
        factory.WithDbAsync(db => db.AccessLog.AsNoTracking().Where(a => a.SubjectId == subjectId).OrderBy(a => a.Position).ToListAsync());

    private async Task<SortedDictionary<string, long>> CountsAsync()
    {
        var counts = await DatabaseSnapshot.RowCountsAsync(factory.DatabaseConnectionString);
        counts.Remove("public.outbox_timelines");
        return counts;
    }
}
