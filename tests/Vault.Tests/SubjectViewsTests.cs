using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

/// <summary>Issue 20: what a person sees of their own data in the privacy centre, their access log and their requests.</summary>
public sealed class SubjectViewsTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    [Fact]
    [Trait("Clause", "IWK-2.3")]
    [Trait("Issue", "20")]
    public async Task The_subject_sees_a_product_backends_read_with_its_purpose_newest_first_and_the_view_is_logged()
    {
        var tokens = await factory.StoreAsync("views-1", "contact", new { email = "views1@example.cn" });
        await factory.GrantAsync("views-1", "service.provide");
        using var backend = factory.Backend();
        using var read = await backend.PostAsJsonAsync("/v1/detokenize", new { tokens = tokens.Values, purpose = "service.provide" });
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var own = factory.CreateClientFor(SuiteRoles.Subject, "views-1");

        using var response = await own.GetAsync("/v1/subjects/views-1/access-log");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = JsonDocument.Parse(text).RootElement.GetProperty("entries").EnumerateArray().ToList();
        var newest = entries[0];
        Assert.Equal(("read", "allowed", DevCredentials.ProductBackendName, "service.provide", "contact"), (newest.GetProperty("action").GetString(),
            newest.GetProperty("outcome").GetString(), newest.GetProperty("accessor").GetString(), newest.GetProperty("purpose").GetString(), newest.GetProperty("category").GetString()));
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "write");
        var positions = entries.Select(e => e.GetProperty("position").GetInt64()).ToList();
        Assert.Equal(positions.OrderDescending(), positions);
        Assert.All(entries, e => Assert.False(e.TryGetProperty("detail", out _) || e.TryGetProperty("hash", out _)));
        Assert.DoesNotContain("views1@example.cn", text, StringComparison.Ordinal);

        // The view itself is a read of the log, logged like any other, and the chain still holds.
        var first = await own.GetFromJsonAsync<JsonElement>("/v1/subjects/views-1/access-log?limit=1");
        var viewed = first.GetProperty("entries")[0];
        Assert.Equal(("access-log-read", "views-1", "subject-access"),
            (viewed.GetProperty("action").GetString(), viewed.GetProperty("accessor").GetString(), viewed.GetProperty("purpose").GetString()));
        var next = first.GetProperty("next").GetInt64();
        var second = await own.GetFromJsonAsync<JsonElement>($"/v1/subjects/views-1/access-log?limit=1&before={next}");
        Assert.True(second.GetProperty("entries")[0].GetProperty("position").GetInt64() < next);
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    [Trait("Issue", "20")]
    public async Task Another_subjects_token_is_refused_anonymous_is_unauthorised_and_a_bad_page_is_a_problem()
    {
        await factory.StoreAsync("views-2", "device", new { model = "Mi 14" }, "collected");
        using var other = factory.CreateClientFor(SuiteRoles.Subject, "views-2-other");
        using var anonymous = factory.CreateClient();
        using var backend = factory.Backend();
        using var officer = factory.Officer();

        using var notYours = await other.GetAsync("/v1/subjects/views-2/access-log");
        using var notYourRequests = await other.GetAsync("/v1/subjects/views-2/requests");
        using var nobody = await anonymous.GetAsync("/v1/subjects/views-2/access-log");
        using var byBackend = await backend.GetAsync("/v1/subjects/views-2/access-log");
        using var byOfficer = await officer.GetAsync("/v1/subjects/views-2/access-log");
        using var zero = await officer.GetAsync("/v1/subjects/views-2/access-log?limit=0");
        using var tooMany = await officer.GetAsync("/v1/subjects/views-2/requests?limit=201");
        using var badCursor = await officer.GetAsync("/v1/subjects/views-2/access-log?before=0");

        Assert.Equal(HttpStatusCode.Forbidden, notYours.StatusCode);
        Assert.Equal("not-your-data", (await notYours.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, notYourRequests.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, nobody.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byOfficer.StatusCode);
        foreach (var bad in new[] { zero, tooMany, badCursor })
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        }

        Assert.False(await factory.WithDbAsync(db => db.AccessLog.AnyAsync(a => a.SubjectId == "views-2" && a.Action == "access-log-read" && a.Accessor == "views-2-other")));
    }

    [Fact]
    [Trait("Clause", "INF-5.4")]
    [Trait("Issue", "20")]
    public async Task A_disclosure_withheld_from_the_subject_stays_out_of_their_view_and_a_told_one_is_in_it()
    {
        await factory.StoreAsync("views-3", "contact", new { email = "views3@example.cn" });
        using var officer = factory.Officer();
        foreach (var notify in new[] { false, true })
        {
            using var disclosed = await officer.PostAsJsonAsync("/v1/subjects/views-3/disclosures", new
            {
                authority = "Ministry of State Security",
                legalReference = notify ? "MSS-told" : "MSS-withheld",
                basis = "national-security",
                categories = new[] { "contact" },
                notifySubject = notify,
                withholdingReason = notify ? null : "Counter-espionage Law Art. 30",
            });
            Assert.Equal(HttpStatusCode.OK, disclosed.StatusCode);
        }

        using var own = factory.CreateClientFor(SuiteRoles.Subject, "views-3");
        var page = await own.GetFromJsonAsync<JsonElement>("/v1/subjects/views-3/access-log");

        var disclosures = page.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("action").GetString() == "disclosure").ToList();
        var told = await factory.WithDbAsync(db => db.AccessLog.SingleAsync(a => a.SubjectId == "views-3" && a.Action == "disclosure" && a.Detail!.Contains("MSS-told")));
        Assert.Equal([told.Position], disclosures.Select(d => d.GetProperty("position").GetInt64()));
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task The_subjects_requests_list_an_access_request_open_then_done_after_its_code_and_no_sign_in()
    {
        await factory.VerifyContactAsync("views-4", "views4@example.cn");
        using var own = factory.CreateClientFor(SuiteRoles.Subject, "views-4");
        var (id, code) = await factory.StartRequestAsync(own, "views-4", "access");
        using var anonymous = factory.CreateClient();
        using var signIn = await anonymous.PostAsJsonAsync("/v1/sign-in", new { field = "email", value = "views4@example.cn" });
        Assert.Equal(HttpStatusCode.Accepted, signIn.StatusCode);

        var open = (await own.GetFromJsonAsync<List<JsonElement>>("/v1/subjects/views-4/requests"))!;
        using var access = await own.PostAsJsonAsync("/v1/subjects/views-4/access", new { verificationId = id, code });
        Assert.Equal(HttpStatusCode.OK, access.StatusCode);
        using var backend = factory.Backend();
        var done = (await backend.GetFromJsonAsync<List<JsonElement>>("/v1/subjects/views-4/requests"))!;

        var row = Assert.Single(open);
        Assert.Equal((id, "access", "open"), (row.GetProperty("id").GetGuid(), row.GetProperty("request").GetString(), row.GetProperty("state").GetString()));
        Assert.InRange(row.GetProperty("startedAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(TimeSpan.FromMinutes(10), row.GetProperty("expiresAt").GetDateTimeOffset() - row.GetProperty("startedAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("doneAt").ValueKind);
        var finished = Assert.Single(done);
        Assert.Equal("done", finished.GetProperty("state").GetString());
        Assert.InRange(finished.GetProperty("doneAt").GetDateTimeOffset(), row.GetProperty("startedAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddSeconds(5));
    }
}
