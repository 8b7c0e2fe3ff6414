using Microsoft.Extensions.DependencyInjection;
using PrivacySuite.ServiceDefaults.Auth;

namespace PrivacySuite.Vault.Tests;

public sealed class AccessLogTests(VaultFactory factory) : IClassFixture<VaultFactory>
{
    private async Task<(int Code, string Output)> CommandAsync()
    {
        using var output = new StringWriter();
        var code = await VaultCommands.RunAsync(factory.Services, output, CancellationToken.None);
        return (code, output.ToString());
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task Writes_reads_and_denials_are_logged_and_can_be_queried_by_subject_and_by_accessor()
    {
        var tokens = await factory.StoreAsync("log-1", "device", new { model = "Vivo" }, "collected");
        await factory.GrantAsync("log-1", "service.provide");
        using var backend = factory.Backend();
        using (await backend.PostAsJsonAsync("/v1/detokenize", new { tokens = tokens.Values, purpose = "service.provide" }))
        using (await backend.PostAsJsonAsync("/v1/detokenize", new { tokens = tokens.Values, purpose = "offers.relevant" }))
        {
        }

        using var officer = factory.Officer();
        var bySubject = await officer.GetFromJsonAsync<JsonElement>("/v1/access-log?subjectId=log-1");
        var byAccessor = await officer.GetFromJsonAsync<JsonElement>("/v1/access-log?accessor=dev-product-backend&limit=1000");
        using var neither = await officer.GetAsync("/v1/access-log");
        using var notAllowed = await backend.GetAsync("/v1/access-log?subjectId=log-1");

        var entries = bySubject.GetProperty("entries").EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("outcome").GetString())).ToList();
        Assert.Equal([("write", "allowed"), ("read", "allowed"), ("read", "denied")], entries);
        Assert.Contains(byAccessor.GetProperty("entries").EnumerateArray(), e => e.GetProperty("subjectId").GetString() == "log-1");
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notAllowed.StatusCode);
    }

    [Fact]
    [Trait("Clause", "IWK-2.3")]
    public async Task Verification_detects_an_edited_and_a_removed_entry_through_the_api_and_the_command()
    {
        await factory.StoreAsync("chain-1", "usage", new { a = "1" }, "collected");
        await factory.StoreAsync("chain-2", "usage", new { a = "2" }, "collected");
        await factory.StoreAsync("chain-3", "usage", new { a = "3" }, "collected");
        var target = await factory.WithDbAsync(db => db.AccessLog.AsNoTracking().SingleAsync(a => a.SubjectId == "chain-2"));

        var intact = await factory.VerifyAccessLogAsync();
        Assert.True(intact.GetProperty("valid").GetBoolean());
        Assert.Equal(0, (await CommandAsync()).Code);

        await factory.ExecuteSqlAsync($"update access_log set accessor = 'someone-else' where position = {target.Position}");
        var edited = await factory.VerifyAccessLogAsync();
        var editedCommand = await CommandAsync();
        Assert.False(edited.GetProperty("valid").GetBoolean());
        Assert.Equal(target.Position, edited.GetProperty("firstBadPosition").GetInt64());
        Assert.Equal(2, editedCommand.Code);
        Assert.Contains($"position {target.Position}", editedCommand.Output);

        await factory.ExecuteSqlAsync($"update access_log set accessor = '{target.Accessor}' where position = {target.Position}");
        Assert.True((await factory.VerifyAccessLogAsync()).GetProperty("valid").GetBoolean());

        await factory.ExecuteSqlAsync($"delete from access_log where position = {target.Position}");
        var removed = await factory.VerifyAccessLogAsync();
        Assert.False(removed.GetProperty("valid").GetBoolean());
        Assert.Equal(target.Position, removed.GetProperty("firstBadPosition").GetInt64());

        // Renumbering the rest to hide the gap still breaks the chain: each entry names its predecessor's hash.
        await factory.ExecuteSqlAsync($"update access_log set position = position - 1 where position > {target.Position}");
        var renumbered = await factory.VerifyAccessLogAsync();
        Assert.False(renumbered.GetProperty("valid").GetBoolean());
        Assert.Equal(target.Position, renumbered.GetProperty("firstBadPosition").GetInt64());
    }

    [Fact]
    [Trait("Clause", "INF-5.4")]
    public async Task A_legal_disclosure_is_logged_and_the_subject_is_told_through_a_notice()
    {
        await factory.StoreAsync("disc-1", "contact", new { phone = "+86 137 0000 0003" });
        using var officer = factory.Officer();

        using var response = await officer.PostAsJsonAsync("/v1/subjects/disc-1/disclosures", new
        {
            authority = "Haidian District Public Security Bureau",
            legalReference = "HD-2026-0113",
            basis = "criminal-investigation",
            categories = new[] { "contact" },
            notifySubject = true,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var disclosureId = body.GetProperty("disclosureId").GetGuid();
        Assert.Equal("+86 137 0000 0003", body.GetProperty("values")[0].GetProperty("value").GetString());
        var entry = await factory.WithDbAsync(db => db.AccessLog.SingleAsync(a => a.SubjectId == "disc-1" && a.Action == "disclosure"));
        Assert.Contains("HD-2026-0113", entry.Detail);
        Assert.Contains("subject-notified", entry.Detail);
        await Eventually.HoldsAsync(async () => (await factory.OutboxAsync()).Any(m =>
                m.MessageType.Contains("NoticeRequested") && m.Payload.Contains(disclosureId.ToString()) && m.Payload.Contains(NoticeTypes.DisclosureNotice) && m.SentAt != null),
            TimeSpan.FromSeconds(20), "the notice request was published");
    }

    [Fact]
    [Trait("Clause", "INF-5.4")]
    public async Task A_disclosure_the_law_forbids_telling_must_say_why_and_sends_no_notice()
    {
        await factory.StoreAsync("disc-2", "contact", new { email = "d2@example.cn" });
        using var officer = factory.Officer();
        var request = new
        {
            authority = "Ministry of State Security",
            legalReference = "MSS-7",
            basis = "national-security",
            categories = new[] { "contact" },
            notifySubject = false,
            withholdingReason = (string?)null,
        };

        using var withoutReason = await officer.PostAsJsonAsync("/v1/subjects/disc-2/disclosures", request);
        using var withReason = await officer.PostAsJsonAsync("/v1/subjects/disc-2/disclosures", request with { withholdingReason = "Counter-espionage Law Art. 30" });
        using var byBackend = await factory.Backend().PostAsJsonAsync("/v1/subjects/disc-2/disclosures", request);

        Assert.Equal(HttpStatusCode.BadRequest, withoutReason.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withReason.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byBackend.StatusCode);
        Assert.Contains("withheld=Counter-espionage", (await factory.WithDbAsync(db => db.AccessLog.SingleAsync(a => a.SubjectId == "disc-2" && a.Action == "disclosure"))).Detail);
        Assert.DoesNotContain(await factory.OutboxAsync(), m => m.MessageType.Contains("NoticeRequested") && m.Payload.Contains("disc-2"));
    }

    [Theory]
    [InlineData("{code} Bureau", "HD-1", "authority")]
    [InlineData("Haidian Court", "HD-{2}", "legalReference")]
    [InlineData("Haidian\u0007Court", "HD-3", "authority")]
    [Trait("Clause", "INF-5.4")]
    public async Task A_disclosure_whose_notice_could_not_be_rendered_is_refused_and_nothing_is_disclosed(string authority, string legalReference, string field)
    {
        await factory.StoreAsync("disc-3", "contact", new { email = "d3@example.cn" });
        var logged = await factory.WithDbAsync(db => db.AccessLog.CountAsync(a => a.SubjectId == "disc-3" && a.Action == "disclosure"));
        using var officer = factory.Officer();

        using var response = await officer.PostAsJsonAsync("/v1/subjects/disc-3/disclosures", new
        {
            authority = System.Text.RegularExpressions.Regex.Unescape(authority),
            legalReference,
            basis = "criminal-investigation",
            categories = new[] { "contact" },
            notifySubject = true,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.DoesNotContain("d3@example.cn", await response.Content.ReadAsStringAsync());
        Assert.Equal(logged, await factory.WithDbAsync(db => db.AccessLog.CountAsync(a => a.SubjectId == "disc-3" && a.Action == "disclosure")));
    }
}
