using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using PrivacySuite.Client;

namespace PrivacySuite.Consent.Tests;

public sealed class ConsentTests(ConsentFactory factory) : IClassFixture<ConsentFactory>
{
    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task Withdrawn_consent_denies_the_next_check()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "personalisation");
        var before = await client.CheckAsync(subject, "personalisation");

        using var withdrawn = await client.DeleteAsync($"/v1/subjects/{subject}/consents/personalisation");
        var after = await client.CheckAsync(subject, "personalisation");

        Assert.True(before.Allowed);
        Assert.Equal("Consent", before.Basis);
        Assert.Equal("1.0", before.PolicyVersion);
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.False(after.Allowed);
        Assert.Equal("consent-withdrawn", after.Reason);
    }

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task Withdrawing_an_essential_purpose_is_refused_and_points_to_account_cancellation()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "service.provide");

        using var refused = await client.DeleteAsync($"/v1/subjects/{subject}/consents/service.provide");
        var problem = await refused.ProblemAsync(HttpStatusCode.Conflict);
        var check = await client.CheckAsync(subject, "service.provide");

        Assert.Equal($"/v1/subjects/{subject}/cancellation", problem.GetProperty("cancellation").GetString());
        Assert.Contains("cancel the account", problem.GetProperty("detail").GetString());
        Assert.True(check.Allowed);
    }

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task Cancelling_the_account_ends_every_purpose_and_emits_AccountCancelled()
    {
        await using var probe = await EventProbe<AccountCancelled>.StartAsync(await factory.TestBusAsync());
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "service.provide");
        await client.GrantOkAsync(subject, "surveys");
        Assert.True((await client.CheckAsync(subject, "service.provide")).Allowed);

        using var cancelled = await client.PostAsync($"/v1/subjects/{subject}/cancellation", null);
        var body = await cancelled.Content.ReadFromJsonAsync<JsonElement>();
        var @event = await probe.WaitForAsync(e => e.SubjectId == subject, "AccountCancelled for the subject");
        using var again = await client.PostAsync($"/v1/subjects/{subject}/cancellation", null);
        using var regrant = await client.GrantAsync(subject, "surveys");

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(["service.provide", "surveys"], body.GetProperty("endedPurposes").EnumerateArray().Select(p => p.GetString()!).ToArray());
        Assert.Equal(body.GetProperty("cancelledAt").GetDateTimeOffset(), @event.CancelledAt);
        foreach (var purpose in new[] { "service.provide", "surveys", "protection" })
        {
            var check = await client.CheckAsync(subject, purpose);
            Assert.False(check.Allowed);
            Assert.Equal("account-cancelled", check.Reason);
        }

        await again.ProblemAsync(HttpStatusCode.Conflict);
        await regrant.ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    [Trait("Clause", "INF-6.5")]
    public async Task History_is_append_only_and_keeps_every_grant_and_withdrawal()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();
        await client.GrantOkAsync(subject, "surveys");
        (await client.DeleteAsync($"/v1/subjects/{subject}/consents/surveys")).Dispose();
        await client.GrantOkAsync(subject, "surveys");

        var consents = await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{subject}/consents");
        var history = consents.GetProperty("history").EnumerateArray().ToList();

        Assert.Equal(["granted", "withdrawn", "granted"], history.Select(h => h.GetProperty("action").GetString()!).ToArray());
        Assert.All(history, h => Assert.Equal("surveys", h.GetProperty("purpose").GetString()));
        Assert.Equal("app-consent-screen", history[0].GetProperty("collectionMethod").GetString());
        Assert.Equal("CN", history[0].GetProperty("jurisdiction").GetString());
        Assert.Equal("1.0", history[0].GetProperty("policyVersion").GetString());
        Assert.Equal("granted", consents.GetProperty("consents")[0].GetProperty("state").GetString());

        // The database itself refuses to rewrite evidence.
        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var update = new NpgsqlCommand("update consent_history set action = 'granted' where subject_id = @s", connection);
        update.Parameters.AddWithValue("s", subject);
        await using var delete = new NpgsqlCommand("delete from consent_history where subject_id = @s", connection);
        delete.Parameters.AddWithValue("s", subject);
        await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
    }

    [Fact]
    [Trait("Clause", "IWK-1.3")]
    public async Task A_listed_non_consent_basis_is_recorded_audited_and_answered_by_the_check()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();

        using var granted = await client.GrantAsync(subject, "offers.relevant", legalBasis: "VitalInterests", basisReference: "case-2026-0042");
        var check = await client.CheckAsync(subject, "offers.relevant");
        var history = (await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{subject}/consents")).GetProperty("history")[0];

        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        Assert.True(check.Allowed);
        Assert.Equal("VitalInterests", check.Basis);
        Assert.Equal("legal-basis", check.Reason);
        Assert.Equal("VitalInterests", history.GetProperty("basis").GetString());
        Assert.Equal(JsonValueKind.Null, history.GetProperty("receipt").ValueKind);

        await using var connection = new NpgsqlConnection(factory.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var audit = new NpgsqlCommand("select basis, reference, actor from legal_basis_audit where subject_id = @s", connection);
        audit.Parameters.AddWithValue("s", subject);
        await using var reader = await audit.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("VitalInterests", reader.GetString(0));
        Assert.Equal("case-2026-0042", reader.GetString(1));
        Assert.False(string.IsNullOrEmpty(reader.GetString(2)));
    }

    [Fact]
    [Trait("Clause", "IWK-1.3")]
    public async Task A_basis_outside_the_list_or_without_a_case_reference_is_refused_and_records_nothing()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();

        using var unlisted = await client.GrantAsync(subject, "offers.relevant", legalBasis: "LegitimateInterest", basisReference: "x-1");
        using var unreferenced = await client.GrantAsync(subject, "offers.relevant", legalBasis: "PublicSafety");
        var consents = await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{subject}/consents");

        await unlisted.ProblemAsync(HttpStatusCode.BadRequest);
        await unreferenced.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Empty(consents.GetProperty("history").EnumerateArray());
        Assert.False((await client.CheckAsync(subject, "offers.relevant")).Allowed);
    }

    [Fact]
    [Trait("Clause", "IWK-1.3")]
    public async Task A_purpose_resting_on_safe_operation_is_allowed_without_consent_and_names_its_basis()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();

        var check = await client.CheckAsync(subject, "protection");

        Assert.True(check.Allowed);
        Assert.Equal("SafeOperation", check.Basis);
    }

    [Fact]
    public async Task Consent_receipt_verifies_offline_with_the_published_key_and_a_forgery_does_not()
    {
        using var http = factory.CreateProductBackendClient();
        var subject = await http.RegisterAsync();
        using var granted = await http.GrantAsync(subject, "surveys");
        var receipt = (await granted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("receipt").GetString()!;
        using var anonymous = factory.CreateClient();
        var keys = (await anonymous.GetFromJsonAsync<ReceiptKeySet>("/v1/receipts/keys"))!.Keys;

        var valid = ConsentReceiptVerifier.TryVerify(receipt, keys, out var payload);
        var parts = receipt.Split('.');
        var forgedBody = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1]))).Replace(subject, "someone-else")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var forged = ConsentReceiptVerifier.TryVerify($"{parts[0]}.{forgedBody}.{parts[2]}", keys, out _);

        Assert.True(valid);
        Assert.False(forged);
        Assert.Equal(subject, payload.GetProperty("piiPrincipalId").GetString());
        Assert.Equal("1.0", payload.GetProperty("policyVersion").GetString());
        Assert.Equal("CN", payload.GetProperty("jurisdiction").GetString());
        Assert.Equal("app-consent-screen", payload.GetProperty("collectionMethod").GetString());
        Assert.Equal("surveys", payload.GetProperty("purposes")[0].GetProperty("purpose").GetString());
        Assert.Equal("Infobird", payload.GetProperty("piiController").GetString());
    }

    private static string Pad(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
    }

    [Fact]
    public async Task Receipt_key_survives_a_restart_of_the_service()
    {
        using var client = factory.CreateClient();
        var before = (await client.GetFromJsonAsync<ReceiptKeySet>("/v1/receipts/keys"))!.Keys;

        await using var restarted = new ReplicaOf(factory);
        using var other = restarted.CreateClient();
        var after = (await other.GetFromJsonAsync<ReceiptKeySet>("/v1/receipts/keys"))!.Keys;

        Assert.Single(before);
        Assert.Equal(before.Single().Kid, after.Single().Kid);
        Assert.Equal(before.Single().X, after.Single().X);
    }

    public static TheoryData<string, string> BadGrants => new()
    {
        { "subject@example.com", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"CN"}""" },
        { "VALID", """{"purpose":"Surveys!","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"CN"}""" },
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"china"}""" },
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app"}""" },
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"CN","legalBasis":"Whim","basisReference":"r"}""" },
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"CN","guardian":{"guardianId":""}}""" },
        // Issue 18.3: the guardian of before (free text for a verification) is no longer accepted, nor a code that is not digits.
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"CN","guardian":{"guardianId":"g-1","verification":"id-card-check"}}""" },
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"CN","guardian":{"guardianId":"g-1","verificationId":"0196d1d2-0000-7000-8000-000000000001","code":"abc123"}}""" },
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0","collectionMethod":"app","jurisdiction":"CN" """ },
        { "VALID", """{"purpose":"surveys","policyVersion":"1.0 or later","collectionMethod":"app","jurisdiction":"CN"}""" },
    };

    [Theory]
    [MemberData(nameof(BadGrants))]
    public async Task Bad_grant_is_a_400_problem_and_changes_nothing(string subjectId, string body)
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();
        var target = subjectId == "VALID" ? subject : subjectId;

        using var response = await client.PostAsync($"/v1/subjects/{Uri.EscapeDataString(target)}/consents",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var consents = await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{subject}/consents");

        await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Empty(consents.GetProperty("history").EnumerateArray());
    }

    [Fact]
    public async Task Domain_refusals_are_problems_with_the_right_status()
    {
        using var client = factory.CreateProductBackendClient();
        var subject = await client.RegisterAsync();

        using var unknownSubject = await client.GrantAsync("nobody-here", "surveys");
        using var unknownPurpose = await client.GrantAsync(subject, "no.such.purpose");
        using var otherPolicy = await client.GrantAsync(subject, "iwalk.personalisation");
        using var unknownVersion = await client.GrantAsync(subject, "surveys", policyVersion: "9.9");
        using var neverGranted = await client.DeleteAsync($"/v1/subjects/{subject}/consents/surveys");
        using var withdrawUnknownPurpose = await client.DeleteAsync($"/v1/subjects/{subject}/consents/no.such.purpose");
        using var badPurpose = await client.DeleteAsync($"/v1/subjects/{subject}/consents/BAD!");
        using var checkUnknownPurpose = await client.GetAsync($"/v1/consents/check?subjectId={subject}&purpose=no.such.purpose");
        using var checkBadSubject = await client.GetAsync("/v1/consents/check?subjectId=a%20b&purpose=surveys");
        using var checkMissing = await client.GetAsync("/v1/consents/check");
        using var cancelUnknown = await client.PostAsync("/v1/subjects/nobody-here/cancellation", null);
        using var listUnknown = await client.GetAsync("/v1/subjects/nobody-here/consents");

        await unknownSubject.ProblemAsync(HttpStatusCode.NotFound);
        await unknownPurpose.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("purpose-of-another-policy", (await otherPolicy.ProblemAsync(HttpStatusCode.UnprocessableEntity)).GetProperty("reason").GetString());
        await unknownVersion.ProblemAsync(HttpStatusCode.UnprocessableEntity);
        await neverGranted.ProblemAsync(HttpStatusCode.NotFound);
        await withdrawUnknownPurpose.ProblemAsync(HttpStatusCode.NotFound);
        await badPurpose.ProblemAsync(HttpStatusCode.BadRequest);
        await checkUnknownPurpose.ProblemAsync(HttpStatusCode.NotFound);
        await checkBadSubject.ProblemAsync(HttpStatusCode.BadRequest);
        await checkMissing.ProblemAsync(HttpStatusCode.BadRequest);
        await cancelUnknown.ProblemAsync(HttpStatusCode.NotFound);
        await listUnknown.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{subject}/consents")).GetProperty("history").EnumerateArray());
    }

    [Fact]
    public async Task Unknown_subject_is_denied_by_the_check()
    {
        using var client = factory.CreateProductBackendClient();

        var check = await client.CheckAsync("never-registered", "surveys");

        Assert.False(check.Allowed);
        Assert.Equal("unknown-subject", check.Reason);
    }

    [Fact]
    public async Task The_check_accepts_other_suite_services_and_refuses_people()
    {
        using var product = factory.CreateProductBackendClient();
        var subject = await product.RegisterAsync();
        using var service = factory.CreateClientFor(ServiceDefaults.Auth.SuiteRoles.Service, "vault");
        using var person = factory.CreateClientFor(ServiceDefaults.Auth.SuiteRoles.Subject);
        using var anonymous = factory.CreateClient();

        using var byService = await service.GetAsync($"/v1/consents/check?subjectId={subject}&purpose=surveys");
        using var byPerson = await person.GetAsync($"/v1/consents/check?subjectId={subject}&purpose=surveys");
        using var byNobody = await anonymous.GetAsync($"/v1/consents/check?subjectId={subject}&purpose=surveys");

        Assert.Equal(HttpStatusCode.OK, byService.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byPerson.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, byNobody.StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_lists_every_route_of_the_issue()
    {
        using var client = factory.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");

        foreach (var (path, method) in new[]
        {
            ("/v1/purposes", "get"), ("/v1/policies/{policyId}/versions", "post"), ("/v1/subjects", "post"),
            ("/v1/subjects/{subjectId}/consents", "post"), ("/v1/subjects/{subjectId}/consents/{purpose}", "delete"),
            ("/v1/subjects/{subjectId}/consents", "get"), ("/v1/subjects/{subjectId}/cancellation", "post"), ("/v1/consents/check", "get"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method} {path}");
        }
    }

    private static Task<HttpResponseMessage> GrantSeparatelyAsync(HttpClient client, string subjectId, string purpose, object sensitiveCategories, string? legalBasis = null) =>
        client.PostAsJsonAsync($"/v1/subjects/{subjectId}/consents", new
        {
            purpose,
            policyVersion = "1.0",
            collectionMethod = "app-consent-screen",
            jurisdiction = "CN",
            legalBasis,
            basisReference = legalBasis is null ? null : "CASE-1",
            sensitiveCategories,
        });

    [Fact]
    [Trait("Clause", "IWK-2.2")]
    public async Task A_separate_consent_to_a_sensitive_category_is_recorded_answered_by_the_check_and_withdrawn_on_its_own()
    {
        await using var probe = await EventProbe<SensitiveConsentWithdrawn>.StartAsync(await factory.TestBusAsync());
        using var client = factory.CreateProductBackendClient();
        var rider = await client.RegisterAsync("iwalk-scooter");
        using var granted = await GrantSeparatelyAsync(client, rider, "iwalk.service.provide", new[] { "Location", "Identity" });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var body = await granted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["Location", "Identity"], body.GetProperty("consent").GetProperty("sensitiveCategories").EnumerateArray().Select(c => c.GetString()));
        Assert.True(ConsentReceiptVerifier.TryVerify(body.GetProperty("receipt").GetString()!,
            (await client.GetFromJsonAsync<ReceiptKeySet>("/v1/receipts/keys"))!.Keys, out var receipt));
        Assert.True(receipt.GetProperty("sensitive").GetBoolean());

        var before = await client.CheckAsync(rider, "iwalk.service.provide");
        Assert.True(before.Allowed);
        Assert.Equal(["Location", "Identity"], before.SensitiveCategories);

        // An essential purpose: the category ends, the service does not.
        using var withdrawn = await client.DeleteAsync($"/v1/subjects/{rider}/consents/iwalk.service.provide/sensitive-categories/location");
        using var again = await client.DeleteAsync($"/v1/subjects/{rider}/consents/iwalk.service.provide/sensitive-categories/location");
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var after = await client.CheckAsync(rider, "iwalk.service.provide");
        Assert.True(after.Allowed);
        Assert.Equal(["Identity"], after.SensitiveCategories);

        var @event = await probe.WaitForAsync(e => e.SubjectId == rider, "SensitiveConsentWithdrawn for the rider");
        Assert.Equal(("iwalk.service.provide", DataCategory.Location), (@event.Purpose, @event.Category));
        await Task.Delay(500);
        Assert.Single(probe.Received, e => e.SubjectId == rider); // withdrawing twice is withdrawing once

        var history = await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{rider}/consents");
        var actions = history.GetProperty("history").EnumerateArray().Select(h => (h.GetProperty("action").GetString(), h.GetProperty("category").GetString())).ToList();
        Assert.Equal([("granted", null), ("sensitive-consent-withdrawn", "Location")], actions);

        // A grant without the category is the way back to none; withdrawing the purpose ends them all.
        using var personalised = await GrantSeparatelyAsync(client, rider, "iwalk.personalisation", new[] { "Location" });
        Assert.Equal(HttpStatusCode.Created, personalised.StatusCode);
        using var purposeWithdrawn = await client.DeleteAsync($"/v1/subjects/{rider}/consents/iwalk.personalisation");
        Assert.Equal(HttpStatusCode.OK, purposeWithdrawn.StatusCode);
        using var regranted = await client.GrantAsync(rider, "iwalk.personalisation");
        Assert.Equal(HttpStatusCode.Created, regranted.StatusCode);
        Assert.Equal([], (await client.CheckAsync(rider, "iwalk.personalisation")).SensitiveCategories!);
    }

    [Theory]
    [Trait("Clause", "IWK-2.2")]
    [InlineData("iwalk.service.provide", """["Contact"]""", null, 400)]
    [InlineData("iwalk.service.provide", """["Location","Location"]""", null, 400)]
    [InlineData("iwalk.service.provide", """["Location"]""", "SafeOperation", 400)]
    [InlineData("iwalk.service.provide", """["Radar"]""", null, 400)]
    [InlineData("iwalk.transaction-security", """["Location"]""", null, 422)]
    public async Task A_separate_consent_names_sensitive_categories_of_the_purpose_and_nothing_is_recorded_otherwise(
        string purpose, string categories, string? legalBasis, int status)
    {
        using var client = factory.CreateProductBackendClient();
        var rider = await client.RegisterAsync("iwalk-scooter");

        using var refused = await GrantSeparatelyAsync(client, rider, purpose, JsonSerializer.Deserialize<JsonElement>(categories), legalBasis);

        var problem = await refused.ProblemAsync((HttpStatusCode)status);
        if (status == 400 && !categories.Contains("Radar", StringComparison.Ordinal))
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty("sensitiveCategories", out _), problem.ToString());
        }

        var history = await client.GetFromJsonAsync<JsonElement>($"/v1/subjects/{rider}/consents");
        Assert.Equal(0, history.GetProperty("history").GetArrayLength());
    }

    [Theory]
    [Trait("Clause", "IWK-2.2")]
    [InlineData("contact", 400)]
    [InlineData("4", 400)]
    [InlineData("Location", 404)]
    public async Task Withdrawing_a_separate_consent_names_a_sensitive_category_of_a_consent_the_subject_gave(string category, int status)
    {
        using var client = factory.CreateProductBackendClient();
        var rider = await client.RegisterAsync("iwalk-scooter");

        using var refused = await client.DeleteAsync($"/v1/subjects/{rider}/consents/iwalk.personalisation/sensitive-categories/{category}");

        await refused.ProblemAsync((HttpStatusCode)status);
    }
}
