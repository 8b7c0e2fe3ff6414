using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Npgsql;
using PrivacySuite.Testing;
using PrivacySuite.ServiceDefaults.Auth;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PrivacySuite.Operations.Tests;

/// <summary>
/// The privacy centre (issue 20.1) in headless chromium against the running suite: a person signs in with a one-time
/// code mailed to their verified address (read back from the region's MailDev) and walks every journey in the browser;
/// what each journey changed is then checked at the services themselves.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class PrivacyCentreTests(ConsoleFixture console, ITestOutputHelper output)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Patient = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToContainTextOptions Slow = new() { Timeout = 30_000 };

    private Uri Centre => console.Suite.Endpoint("privacy-centre");

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Clause", "INF-6.5")]
    [Trait("Clause", "INF-7.1")]
    [Trait("Issue", "20")]
    public async Task A_person_signs_in_with_a_code_and_withdraws_and_gives_consent_again_also_after_a_policy_change()
    {
        var person = await NewPersonAsync();
        var page = await NewPageAsync();

        // A wrong code first: refused, and nothing opens.
        await page.GotoAsync(Centre.ToString());
        await Screenshot(page, "privacy-centre-sign-in");
        await page.Locator("#contact").FillAsync(person.Inbox.Address);
        await page.Locator("#contact-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#code-form")).ToBeVisibleAsync(Patient);
        var code = await person.Inbox.NextCodeAsync();
        await page.Locator("#code").FillAsync(code == "000000" ? "000001" : "000000");
        await page.Locator("#code-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#code-error")).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#nav")).ToBeHiddenAsync();

        // The code that came: keyboard only, Enter submits.
        await page.Locator("#code").FillAsync(code);
        await page.Locator("#code").PressAsync("Enter");
        var surveys = page.Locator("section[data-purpose='surveys']");
        await Expect(surveys).ToContainTextAsync("You agreed", Slow);
        await Screenshot(page, "privacy-centre-consents");

        // Withdraw what is not essential; the essential purpose offers no withdrawal.
        await Expect(page.Locator("section[data-purpose='service.provide'] [data-action='withdraw']")).ToHaveCountAsync(0);
        await surveys.Locator("[data-action='withdraw']").ClickAsync();
        await surveys.Locator("[data-action='confirm-withdraw']").ClickAsync();
        await Expect(page.Locator("section[data-purpose='surveys']")).ToContainTextAsync("You withdrew", Slow);
        Assert.False(await AllowedAsync(person.SubjectId, "surveys"));

        // And give it again.
        await page.Locator("section[data-purpose='surveys'] [data-action='agree']").ClickAsync();
        await Expect(page.Locator("section[data-purpose='surveys']")).ToContainTextAsync("You agreed", Slow);
        Assert.True(await AllowedAsync(person.SubjectId, "surveys"));

        // A policy version changes a purpose: the centre asks again, and the new agreement counts.
        var version = $"pc-{Guid.NewGuid():N}"[..16];
        using (var officer = console.Person($"consent-{console.Suite.Primary}", SuiteRoles.PrivacyOfficer))
        {
            using var published = await officer.PublishVersionAsync("infobird", new { version, changedPurposes = new[] { "offers.relevant" } });
            Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        }

        await page.ReloadAsync();
        var offers = page.Locator("section[data-purpose='offers.relevant']");
        await Expect(offers).ToContainTextAsync("The policy changed", Slow);
        Assert.False(await AllowedAsync(person.SubjectId, "offers.relevant"));
        await offers.Locator("[data-action='agree']").ClickAsync();
        await Expect(page.Locator("section[data-purpose='offers.relevant']")).ToContainTextAsync($"policy version {version}", Slow);
        Assert.True(await AllowedAsync(person.SubjectId, "offers.relevant"));

        // The policy's text, as the person reads it before agreeing.
        await page.Locator("details.policy summary").ClickAsync();
        await Expect(page.Locator("details.policy .policy-text")).ToContainTextAsync(version, Slow);
        await AssertEveryFieldLabelledAsync(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    [Trait("Clause", "INF-6.2")]
    [Trait("Clause", "IWK-2.3")]
    [Trait("Issue", "20")]
    public async Task A_person_sees_downloads_and_corrects_their_data_follows_their_requests_and_sees_who_read_it()
    {
        var person = await NewPersonAsync();
        var page = await SignedInAsync(person);

        // Access: a code for the request, then the data, readable.
        await page.Locator("nav a[data-view='data']").ClickAsync();
        await page.Locator("[data-send-code='access']").ClickAsync();
        await page.Locator("#code-access").FillAsync(await person.Inbox.NextCodeAsync());
        await page.Locator("form[data-code-for='access'] button[type=submit]").ClickAsync();
        await Expect(page.Locator("#my-data [data-field='email']")).ToHaveTextAsync(person.Inbox.Address, new() { Timeout = 30_000 });
        await Expect(page.Locator("#my-data [data-field='model']")).ToHaveTextAsync("Phone X");
        await Screenshot(page, "privacy-centre-data");

        // Export: the file the browser downloads holds the data.
        await page.Locator("[data-send-code='export']").ClickAsync();
        await page.Locator("#code-export").FillAsync(await person.Inbox.NextCodeAsync());
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("form[data-code-for='export'] button[type=submit]").ClickAsync());
        var exported = JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!)).RootElement;
        Assert.Equal(person.SubjectId, exported.GetProperty("subjectId").GetString());
        Assert.Contains(exported.GetProperty("values").EnumerateArray(), v => v.GetProperty("value").GetString() == person.Inbox.Address);

        // Correction: the device's model was wrong; the product backend reads the corrected value under the same token.
        await page.Locator("nav a[data-view='requests']").ClickAsync();
        var correction = page.Locator("section[data-request='rectification']");
        await correction.Locator("#correct-category").SelectOptionAsync("device");
        await correction.Locator("#correct-field").FillAsync("model");
        await correction.Locator("#correct-value").FillAsync("Phone Y");
        await correction.Locator("#correct-reason").FillAsync("I changed phones");
        await correction.Locator("[data-send-code='rectification']").ClickAsync();
        await page.Locator("#code-rectification").FillAsync(await person.Inbox.NextCodeAsync());
        await correction.Locator("form[data-code-for='rectification'] button[type=submit]").ClickAsync();
        await Expect(page.Locator("#my-requests")).ToContainTextAsync("Correction", Slow);
        Assert.Equal("Phone Y", await ReadAsync(person.DeviceToken, "service.provide"));

        // The requests, each done.
        await Expect(page.Locator("#my-requests tr[data-state]")).ToHaveCountAsync(3, new() { Timeout = 30_000 });
        await Screenshot(page, "privacy-centre-requests");

        // Who read the data: the product backend, for the surveys it was allowed.
        await page.Locator("nav a[data-view='log']").ClickAsync();
        await Expect(page.Locator("tr[data-entry]").Filter(new() { HasText = "surveys" }).First).ToBeVisibleAsync(Patient);
        await Expect(page.Locator("tr[data-entry]").Filter(new() { HasText = DevCredentials.ProductBackendName }).First).ToBeVisibleAsync();
        await Screenshot(page, "privacy-centre-log");
        await AssertEveryFieldLabelledAsync(page);
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Clause", "INF-6.1")]
    [Trait("Clause", "INF-6.4")]
    [Trait("Issue", "20")]
    public async Task A_person_erases_their_data_and_is_shown_the_deletion_certificate()
    {
        var person = await NewPersonAsync();
        var page = await SignedInAsync(person);

        await page.Locator("nav a[data-view='requests']").ClickAsync();
        var erasure = page.Locator("section[data-request='erasure']");
        await erasure.Locator("#erase-reason").FillAsync("I no longer use the service");
        await erasure.Locator("#erase-confirm").CheckAsync();
        await erasure.Locator("[data-send-code='erasure']").ClickAsync();
        await page.Locator("#code-erasure").FillAsync(await person.Inbox.NextCodeAsync());
        await erasure.Locator("form[data-code-for='erasure'] button[type=submit]").ClickAsync();
        await Expect(erasure).ToContainTextAsync("Deletion certificate", Slow);

        // The vault holds nothing readable any more.
        using var vault = console.ProductBackend($"vault-{console.Suite.Primary}");
        using var read = await vault.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { person.DeviceToken }, purpose = "service.provide" });
        Assert.NotEqual(HttpStatusCode.OK, read.StatusCode);
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Clause", "IWK-2.5")]
    [Trait("Issue", "20")]
    public async Task A_cancelled_accounts_person_follows_its_removal_on_the_receipt_mailed_to_them_and_reads_the_certificate_there()
    {
        var person = await NewPersonAsync();
        using (var consent = console.ProductBackend($"consent-{console.Suite.Primary}"))
        {
            await SucceedsAsync(consent.PostAsync($"/v1/subjects/{person.SubjectId}/cancellation", null), HttpStatusCode.OK);
        }

        // The cancellation notice carries the receipt's link; the page needs no sign-in.
        var mail = await person.Inbox.MailAsync("Your account was cancelled", "您的账户已注销");
        var link = Regex.Match(mail, @"https?://\S+/receipt\.html#[0-9a-f-]{36}").Value;
        Assert.StartsWith(Centre.ToString().TrimEnd('/'), link, StringComparison.Ordinal);
        var page = await NewPageAsync();
        await page.GotoAsync(link);
        await Expect(page.Locator("#receipt [data-state='waiting']")).ToBeVisibleAsync(Patient);
        await Expect(page.Locator("#receipt [data-state='waiting']")).ToContainTextAsync("then erased");
        await Screenshot(page, "privacy-centre-receipt-waiting");

        // A month passes (moved back in retention's database, as a test may and nothing else does), a sweep removes the
        // account, and the receipt shows the certificate the person can no longer be mailed.
        await using (var retentionDb = new NpgsqlConnection(ConnectionString($"retention-{console.Suite.Primary}", "retentiondb")))
        {
            await retentionDb.OpenAsync();
            await using var back = new NpgsqlCommand("update retention_subjects set cancelled_at = cancelled_at - interval '40 days' where subject_id = @s", retentionDb);
            back.Parameters.AddWithValue("s", person.SubjectId);
            Assert.Equal(1, await back.ExecuteNonQueryAsync());
        }

        using var officer = console.Person($"retention-{console.Suite.Primary}", SuiteRoles.PrivacyOfficer);
        await Eventually.HoldsAsync(async () =>
        {
            (await officer.PostAsJsonAsync("/v1/sweeps/", new { dryRun = false })).Dispose(); // or 409: one is running
            await Task.Delay(TimeSpan.FromSeconds(1));
            await page.ReloadAsync();
            await page.Locator("#receipt[data-loaded='true']").WaitForAsync();
            return await page.Locator("#receipt [data-state='done']").CountAsync() == 1;
        }, TimeSpan.FromSeconds(120), "the sweep removed the account and the receipt shows it");
        var certificates = (await officer.GetFromJsonAsync<JsonElement>($"/v1/subjects/{person.SubjectId}/retention")).GetProperty("certificates");
        await Expect(page.Locator("[data-certificate] [data-field='certificateId']")).ToHaveTextAsync(certificates[0].GetString()!);
        await Screenshot(page, "privacy-centre-receipt-done");

        // The data is gone at the vault; a link to no receipt says so.
        Assert.Null(await ReadOrNullAsync(person.DeviceToken, "service.provide"));
        await page.GotoAsync($"{Centre}receipt.html#{Guid.NewGuid()}");
        await Expect(page.Locator("#receipt [role='alert']")).ToBeVisibleAsync(Patient);
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "20")]
    public async Task A_guardian_acts_for_a_minor_in_their_care_agreeing_withdrawing_and_seeing_their_data_with_their_own_codes()
    {
        var guardian = await NewPersonAsync();
        var minor = await MinorInCareOfAsync(guardian);
        var page = await SignedInAsync(guardian);

        // The minor is listed in the guardian's care; acting for them opens the minor's consents.
        var ward = page.Locator($"section.wards li[data-ward='{minor}']");
        await Expect(ward).ToBeVisibleAsync(Patient);
        await ward.Locator("[data-action='act-for']").ClickAsync();
        await Expect(page.Locator("#acting")).ToContainTextAsync(minor, Slow);
        await Expect(page.Locator(".view-body h1")).ToContainTextAsync(minor, Slow);
        await Screenshot(page, "privacy-centre-guardian");

        // Agreeing for the minor takes a code sent to the guardian's own address; consent records the guardian.
        var surveys = page.Locator("section[data-purpose='surveys']");
        await surveys.Locator("[data-action='agree']").ClickAsync();
        await page.Locator("#guardian-code-surveys").FillAsync(await guardian.Inbox.NextCodeAsync());
        await surveys.Locator("form[data-guardian-code-for='surveys'] button[type=submit]").ClickAsync();
        await Expect(page.Locator("section[data-purpose='surveys']")).ToContainTextAsync("You agreed", Slow);
        Assert.True(await AllowedAsync(minor, "surveys"));
        using (var consent = console.ProductBackend($"consent-{console.Suite.Primary}"))
        {
            var history = (await consent.GetFromJsonAsync<JsonElement>($"/v1/subjects/{minor}/consents")).GetProperty("history").EnumerateArray().Last();
            Assert.Equal((guardian.SubjectId, guardian.SubjectId), (history.GetProperty("actor").GetString(), history.GetProperty("guardianId").GetString()));
        }

        // And withdraws it again; then back to the guardian's own account, where their data is theirs.
        await page.Locator("section[data-purpose='surveys'] [data-action='withdraw']").ClickAsync();
        await page.Locator("section[data-purpose='surveys'] [data-action='confirm-withdraw']").ClickAsync();
        await Expect(page.Locator("section[data-purpose='surveys']")).ToContainTextAsync("You withdrew", Slow);
        Assert.False(await AllowedAsync(minor, "surveys"));

        // The minor's data, after a code sent to the guardian's own address; the minor's log says the guardian read it.
        await page.Locator("nav a[data-view='data']").ClickAsync();
        await Expect(page.Locator(".view-body[data-view='data'] h1")).ToContainTextAsync(minor, Slow);
        await page.Locator("[data-send-code='access']").ClickAsync();
        await page.Locator("#code-access").FillAsync(await guardian.Inbox.NextCodeAsync());
        await page.Locator("form[data-code-for='access'] button[type=submit]").ClickAsync();
        await Expect(page.Locator("#my-data [data-field='nickname']")).ToHaveTextAsync("Xiaoming", new() { Timeout = 30_000 });
        await Screenshot(page, "privacy-centre-guardian-data");
        await page.Locator("nav a[data-view='log']").ClickAsync();
        await Expect(page.Locator("tr[data-entry]").Filter(new() { HasText = "identity-check" }).First).ToContainTextAsync("you", Slow);

        // Back to the guardian's own account, where the data shown is theirs.
        await page.Locator("#acting-end").ClickAsync();
        await Expect(page.Locator("#acting")).ToBeHiddenAsync();
        await page.Locator("nav a[data-view='data']").ClickAsync();
        await Expect(page.Locator(".view-body[data-view='data'] h1")).ToHaveTextAsync("Your data", new() { Timeout = 30_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task The_centre_speaks_the_browsers_language_and_switches_on_request()
    {
        var person = await NewPersonAsync();
        var page = await SignedInAsync(person, locale: "zh-CN");

        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
        await Expect(page.Locator("nav a[data-view='consents']")).ToHaveTextAsync("同意管理");
        await Expect(page.Locator("section[data-purpose='surveys'] h2")).ToContainTextAsync("邀请您参与有关产品和服务的调查", Slow);
        await Screenshot(page, "privacy-centre-consents-zh");

        await page.Locator("#language").ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.Locator("section[data-purpose='surveys'] h2")).ToContainTextAsync("Inviting you to surveys", Slow);
        await Expect(page.Locator("nav a[data-view='consents']")).ToHaveTextAsync("Consents");
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Issue", "20")]
    public async Task On_a_phone_every_section_fits_the_screen_and_notices_are_shown()
    {
        var bulletin = await PublishBulletinAsync();
        var person = await NewPersonAsync();
        var page = await SignedInAsync(person, new ViewportSize { Width = 390, Height = 844 });
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };

        foreach (var view in new[] { "consents", "data", "requests", "log", "notices" })
        {
            await page.Locator($"nav a[data-view='{view}']").ClickAsync();
            await Expect(page.Locator($".view-body[data-view='{view}'][data-loaded='true']")).ToBeVisibleAsync(Patient);
            var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
            Assert.True(scrollWidth <= 390, $"{view} is {scrollWidth} px wide on a 390 px screen");
            await Screenshot(page, $"privacy-centre-{view}-phone");
        }

        await Expect(page.Locator($"article[data-bulletin='{bulletin}']")).ToBeVisibleAsync();
        // The notices sent to the person: their codes (the contact's proof, the sign-ins), listed without the code.
        await Expect(page.Locator("#my-notices tr[data-type='verification-code']").First).ToBeVisibleAsync();
        Assert.DoesNotMatch("[0-9]{6}", await page.Locator("#my-notices").InnerTextAsync());
        await page.Locator("#sign-out").ClickAsync();
        await Expect(page.Locator("#contact-form")).ToBeVisibleAsync();
        Assert.Empty(errors); // no CSP violation, no script error
        await page.Context.CloseAsync();
    }

    [Fact]
    [Trait("Clause", "INF-6.3")]
    [Trait("Issue", "20")]
    public async Task The_centres_api_opens_nothing_without_a_session_and_answers_an_unknown_address_as_a_known_one()
    {
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = Centre, Timeout = TimeSpan.FromSeconds(90) };

        foreach (var path in new[] { "/api/consents", "/api/requests", "/api/access-log", "/api/session" })
        {
            using var anonymous = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var unknown = await http.PostAsJsonAsync("/api/sign-in", new { field = "email", value = $"nobody-{Guid.NewGuid():N}@example.cn" });
        var known = await NewPersonAsync();
        using var knownStart = await http.PostAsJsonAsync("/api/sign-in", new { field = "email", value = known.Inbox.Address });
        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, knownStart.StatusCode);
        Assert.Equal(Shape(await unknown.Content.ReadFromJsonAsync<JsonElement>()), Shape(await knownStart.Content.ReadFromJsonAsync<JsonElement>()));

        using var malformed = await http.PostAsJsonAsync("/api/sign-in", new { field = "fax", value = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        using var page = await http.GetAsync("/");
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    [Trait("Clause", "IWK-3.1")]
    [Trait("Issue", "20")]
    public async Task A_person_cannot_act_for_someone_not_in_their_care()
    {
        var person = await NewPersonAsync();
        var stranger = await NewPersonAsync();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = Centre, Timeout = TimeSpan.FromSeconds(90) };
        using var started = await http.PostAsJsonAsync("/api/sign-in", new { field = "email", value = person.Inbox.Address });
        var signInId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("signInId").GetGuid();
        await SucceedsAsync(http.PostAsJsonAsync($"/api/sign-in/{signInId}/code", new { code = await person.Inbox.NextCodeAsync() }), HttpStatusCode.OK);

        using var actFor = await http.PostAsJsonAsync("/api/acting-for", new { subjectId = stranger.SubjectId });
        using var code = await http.PostAsync("/api/guardian-codes", null);
        var session = await http.GetFromJsonAsync<JsonElement>("/api/session");
        var consents = await http.GetFromJsonAsync<JsonElement>("/api/consents");

        Assert.Equal(HttpStatusCode.Forbidden, actFor.StatusCode);
        Assert.Equal("not-your-ward", (await actFor.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.Conflict, code.StatusCode);
        Assert.Equal(JsonValueKind.Null, session.GetProperty("actingFor").ValueKind);
        Assert.Equal(person.SubjectId, consents.GetProperty("subject").GetProperty("subjectId").GetString());
    }

    private static string Shape(JsonElement json) => string.Join(",", json.EnumerateObject().Select(p => $"{p.Name}:{p.Value.ValueKind}"));

    /// <summary>
    /// A person of the Infobird policy, as a product backend would have them: registered, agreeing to the service, the
    /// surveys and the offers, with a verified e-mail address (the code read back from MailDev) and a device, and one
    /// read of their address by the product backend for the surveys.
    /// </summary>
    private async Task<Person> NewPersonAsync()
    {
        var subject = $"pc-{Guid.NewGuid():N}";
        var inbox = new Inbox(console.Suite.Endpoint($"maildev-{console.Suite.Primary}", "web"), $"{subject}@example.cn");
        using var consent = console.ProductBackend($"consent-{console.Suite.Primary}");
        await SucceedsAsync(consent.PostAsJsonAsync("/v1/subjects", new { subjectId = subject, policyId = "infobird", birthDate = "1990-01-01" }), HttpStatusCode.Created);
        foreach (var purpose in new[] { "service.provide", "surveys", "offers.relevant" })
        {
            await SucceedsAsync(consent.PostAsJsonAsync($"/v1/subjects/{subject}/consents",
                new { purpose, policyVersion = await CurrentVersionAsync(consent), collectionMethod = "app-onboarding", jurisdiction = "CN" }), HttpStatusCode.Created);
        }

        using var vault = console.ProductBackend($"vault-{console.Suite.Primary}");
        var contact = await StoreAsync(vault, subject, "contact", new { email = inbox.Address, language = "en" });
        var device = await StoreAsync(vault, subject, "device", new { model = "Phone X" });
        using var proof = await vault.PostAsJsonAsync($"/v1/subjects/{subject}/contact-verifications", new { field = "email" });
        await ExpectAsync(proof, HttpStatusCode.Accepted);
        var proofId = (await proof.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        await SucceedsAsync(vault.PostAsJsonAsync($"/v1/subjects/{subject}/verified-contacts", new { verificationId = proofId, code = await inbox.NextCodeAsync() }),
            HttpStatusCode.OK);
        await SucceedsAsync(vault.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { contact["email"] }, purpose = "surveys" }), HttpStatusCode.OK);
        return new Person(subject, inbox, device["model"]);
    }

    /// <summary>A minor of twelve whose consent to the service <paramref name="guardian"/> gave, with the code mailed to the guardian.</summary>
    private async Task<string> MinorInCareOfAsync(Person guardian)
    {
        var minor = $"pc-minor-{Guid.NewGuid():N}";
        using var consent = console.ProductBackend($"consent-{console.Suite.Primary}");
        await SucceedsAsync(consent.PostAsJsonAsync("/v1/subjects",
            new { subjectId = minor, policyId = "infobird", birthDate = DateTime.UtcNow.AddYears(-12).ToString("yyyy-MM-dd") }), HttpStatusCode.Created);
        using var vault = console.ProductBackend($"vault-{console.Suite.Primary}");
        using var started = await vault.PostAsJsonAsync($"/v1/subjects/{guardian.SubjectId}/guardian-verifications", new { minorSubjectId = minor });
        await ExpectAsync(started, HttpStatusCode.Accepted);
        var verificationId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verificationId").GetGuid();
        await SucceedsAsync(consent.PostAsJsonAsync($"/v1/subjects/{minor}/consents", new
        {
            purpose = "service.provide", policyVersion = await CurrentVersionAsync(consent), collectionMethod = "app-onboarding", jurisdiction = "CN",
            guardian = new { guardianId = guardian.SubjectId, verificationId, code = await guardian.Inbox.NextCodeAsync() },
        }), HttpStatusCode.Created);
        await StoreAsync(vault, minor, "identity", new { nickname = "Xiaoming" });
        return minor;
    }

    private static async Task<string> CurrentVersionAsync(HttpClient consent) =>
        (await consent.GetFromJsonAsync<JsonElement>("/v1/policies/infobird/current")).GetProperty("version").GetString()!;

    private static async Task<Dictionary<string, string>> StoreAsync(HttpClient vault, string subject, string category, object fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/subjects/{subject}/data")
        {
            Content = JsonContent.Create(new { category, source = "provided", legalBasis = "consent", fields }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var stored = await vault.SendAsync(request);
        await ExpectAsync(stored, HttpStatusCode.Created, HttpStatusCode.OK);
        return (await stored.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").Deserialize<Dictionary<string, string>>()!;
    }

    private async Task<bool> AllowedAsync(string subject, string purpose)
    {
        using var consent = console.ProductBackend($"consent-{console.Suite.Primary}");
        return (await consent.GetFromJsonAsync<JsonElement>($"/v1/consents/check?subjectId={subject}&purpose={purpose}")).GetProperty("allowed").GetBoolean();
    }

    /// <summary>The value of <paramref name="token"/> read for <paramref name="purpose"/>, or null when the vault refuses it (erased).</summary>
    private async Task<string?> ReadOrNullAsync(string token, string purpose)
    {
        using var vault = console.ProductBackend($"vault-{console.Suite.Primary}");
        using var read = await vault.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose });
        return read.IsSuccessStatusCode ? (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("values")[0].GetProperty("value").GetString() : null;
    }

    /// <summary>A service's connection string to its database, as the AppHost handed it to the resource.</summary>
    private string ConnectionString(string resource, string database)
    {
        Assert.True(console.Suite.App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"{resource} is not running");
        return state.Snapshot.EnvironmentVariables.Single(e => e.IsFromSpec && e.Name == $"ConnectionStrings__{database}").Value + ";Pooling=false";
    }

    private async Task<string?> ReadAsync(string token, string purpose)
    {
        using var vault = console.ProductBackend($"vault-{console.Suite.Primary}");
        using var read = await vault.PostAsJsonAsync("/v1/detokenize", new { tokens = new[] { token }, purpose });
        await ExpectAsync(read, HttpStatusCode.OK);
        return (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("values")[0].GetProperty("value").GetString();
    }

    private async Task<Guid> PublishBulletinAsync()
    {
        using var notifications = console.Person($"notifications-{console.Suite.Primary}", SuiteRoles.PrivacyOfficer);
        using var published = await notifications.PostAsJsonAsync("/v1/bulletins", new
        {
            noticeType = "policy-update",
            variables = new Dictionary<string, string>
            {
                ["policyVersion"] = "2027-01", ["effectiveDate"] = "2027-01-01", ["summary"] = "Shorter retention of ride routes",
                ["reviewUrl"] = "https://privacy.example.cn/policy",
            },
        });
        await ExpectAsync(published, HttpStatusCode.Created);
        return (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("bulletinId").GetGuid();
    }

    private async Task<IPage> NewPageAsync(ViewportSize? viewport = null, string locale = "en-US")
    {
        var context = await console.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 860 },
            Locale = locale,
            AcceptDownloads = true,
        });
        return await context.NewPageAsync();
    }

    /// <summary>A page signed in through the centre's form with the code mailed to the person.</summary>
    private async Task<IPage> SignedInAsync(Person person, ViewportSize? viewport = null, string locale = "en-US")
    {
        var page = await NewPageAsync(viewport, locale);
        await page.GotoAsync(Centre.ToString());
        await page.Locator("#contact").FillAsync(person.Inbox.Address);
        await page.Locator("#contact-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#code-form")).ToBeVisibleAsync(Patient);
        await page.Locator("#code").FillAsync(await person.Inbox.NextCodeAsync());
        await page.Locator("#code-form button[type=submit]").ClickAsync();
        await Expect(page.Locator(".view-body[data-loaded='true']")).ToBeVisibleAsync(Patient);
        output.WriteLine($"{person.SubjectId} signed in");
        return page;
    }

    /// <summary>Every field of the page has a label a screen reader announces.</summary>
    private static async Task AssertEveryFieldLabelledAsync(IPage page)
    {
        var unlabelled = await page.EvaluateAsync<string[]>(
            "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.id || e.name)");
        Assert.Empty(unlabelled);
    }

    private static async Task ExpectAsync(HttpResponseMessage response, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A call whose answer is only checked: awaited, checked and disposed.</summary>
    private static async Task SucceedsAsync(Task<HttpResponseMessage> call, params HttpStatusCode[] expected)
    {
        using var response = await call;
        await ExpectAsync(response, expected);
    }

    private static Task Screenshot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserTests.ImagesFolder(), $"{name}.png"), FullPage = true });

    private sealed record Person(string SubjectId, Inbox Inbox, string DeviceToken);
}
