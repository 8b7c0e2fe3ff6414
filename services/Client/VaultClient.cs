using Microsoft.Extensions.DependencyInjection;

namespace PrivacySuite.Client;

/// <summary>
/// Typed calls to the vault: store a subject's fields and get tokens back, look tokens up by e-mail address or phone,
/// read values for a named purpose, and the subject's rights requests (access, export, rectification, erasure). Give it
/// an <see cref="HttpClient"/> whose base address is the vault and which sends the <c>X-Api-Key</c> header
/// (<see cref="VaultClientServiceCollectionExtensions.AddPrivacySuiteVaultClient"/> does both, with retries, timeouts,
/// a circuit breaker and the standby region for reads). Every refusal is a <see cref="PrivacySuiteApiException"/> with the
/// vault's <c>reason</c>.
/// </summary>
public sealed class VaultClient(HttpClient http, StepUpSigner? stepUp = null)
{
    /// <summary>
    /// Encrypts and stores fields of one category; answers a token per field. The call carries an <c>Idempotency-Key</c>
    /// (<paramref name="idempotencyKey"/>, or a new one per call), so a retry after a lost answer gets the first answer
    /// and the vault writes once. Pass a key of your own (your request's id) to make a retry safe across restarts too;
    /// the vault remembers it for 24 hours, and the same key with another request is refused (422
    /// <c>idempotency-key-reused</c>).
    /// </summary>
    public Task<StoredData> StoreAsync(string subjectId, StoreData data, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        SendAsync<StoredData>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/data", data, idempotencyKey ?? Guid.NewGuid().ToString("N")), cancellationToken);

    /// <summary>Records whether the subject is a minor and who the guardian is (IWK-3.2).</summary>
    public Task<SubjectProfileInfo> SetProfileAsync(string subjectId, SubjectProfile profile, CancellationToken cancellationToken = default) =>
        SendAsync<SubjectProfileInfo>(Request(HttpMethod.Put, $"v1/subjects/{Segment(subjectId)}/profile", profile), cancellationToken);

    /// <summary>The tokens of an e-mail address (<paramref name="field"/> <c>email</c>) or phone number (<c>phone</c>).</summary>
    public Task<LookupResult> LookupAsync(string field, string value, CancellationToken cancellationToken = default) =>
        SendAsync<LookupResult>(Request(HttpMethod.Post, "v1/lookup", new { field, value }), cancellationToken);

    /// <summary>
    /// The values of <paramref name="tokens"/> for <paramref name="purpose"/>, if the catalogue gives the purpose these
    /// categories and consent or a legal basis allows it; <paramref name="processorId"/> names a processor the read is for,
    /// <paramref name="approvalId"/> an officer's approval of one read of a sensitive category (identity, location) outside
    /// what the subject separately consented to. Without an approval, a client configured with a step-up key
    /// (<see cref="VaultClientOptions.StepUpKey"/>) sends its step-up token for the purpose, the second factor the vault asks
    /// for before it reads a sensitive category the subject separately consented to. Refusals carry the reason
    /// (<c>no-consent</c>, <c>category-not-for-purpose</c>, <c>second-factor-required</c>, <c>separate-consent-required</c>,
    /// <c>approval-required</c>, <c>erased</c>, …; 401 <c>step-up-refused</c> for a token the vault refused). A read writes the
    /// access log, so it is not retried.
    /// </summary>
    public Task<DetokenizeResult> DetokenizeAsync(IReadOnlyList<string> tokens, string purpose, string? processorId = null, Guid? approvalId = null,
        CancellationToken cancellationToken = default) =>
        SendAsync<DetokenizeResult>(DetokenizeRequest(tokens, purpose, processorId, approvalId, approvalId is null ? stepUp?.TokenFor(purpose) : null), cancellationToken);

    /// <summary>Starts a rights request (<c>access</c>, <c>export</c>, <c>rectification</c>, <c>erasure</c>): the vault sends a one-time code to the subject's verified contacts.</summary>
    public Task<VerificationStarted> StartRequestAsync(string subjectId, string request, CancellationToken cancellationToken = default) =>
        SendAsync<VerificationStarted>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/verifications", new { request }), cancellationToken);

    /// <summary>All of the subject's data, by category; needs the code of an <c>access</c> request.</summary>
    public Task<SubjectData> AccessAsync(string subjectId, Guid verificationId, string code, CancellationToken cancellationToken = default) =>
        SendAsync<SubjectData>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/access", new { verificationId, code }), cancellationToken);

    /// <summary>All of the subject's data as machine-readable JSON; needs the code of an <c>export</c> request.</summary>
    public Task<SubjectExport> ExportAsync(string subjectId, Guid verificationId, string code, CancellationToken cancellationToken = default) =>
        SendAsync<SubjectExport>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/export", new { verificationId, code }), cancellationToken);

    /// <summary>Corrects fields of one category (tokens stay); needs the code of a <c>rectification</c> request and a reason.</summary>
    public Task<RectificationDone> RectifyAsync(string subjectId, Guid verificationId, string code, string category, IReadOnlyDictionary<string, string> fields,
        string reason, CancellationToken cancellationToken = default) =>
        SendAsync<RectificationDone>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/rectification",
            new { verificationId, code, category, fields, reason }), cancellationToken);

    /// <summary>Crypto-shreds the subject's data; needs the code of an <c>erasure</c> request. A legal hold refuses it (409 <c>legal-hold</c>).</summary>
    public Task<ErasureDone> EraseAsync(string subjectId, Guid verificationId, string code, string reason, CancellationToken cancellationToken = default) =>
        SendAsync<ErasureDone>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/erasure", new { verificationId, code, reason }), cancellationToken);

    /// <summary>
    /// Rights requests, newest first, with their state (<c>open</c>, <c>completed</c>, <c>expired</c>); for the operator and
    /// privacy-officer roles. A GET: retried, and served by the standby region when the primary fails.
    /// </summary>
    public Task<IReadOnlyList<SubjectRequestInfo>> ListRequestsAsync(string? state = null, int limit = 100, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<SubjectRequestInfo>>(Request(HttpMethod.Get,
            $"v1/subject-requests?limit={limit}" + (state is null ? "" : $"&state={Uri.EscapeDataString(state)}"), null), cancellationToken);

    /// <summary>
    /// One subject's rights requests, newest first, with their state (<c>open</c>, <c>approved</c>, <c>done</c>,
    /// <c>expired</c>): how a product backend follows the requests it started for a person. A GET: retried, and served
    /// by the standby region when the primary fails.
    /// </summary>
    public Task<IReadOnlyList<SubjectOwnRequest>> ListSubjectRequestsAsync(string subjectId, int limit = 50, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<SubjectOwnRequest>>(Request(HttpMethod.Get, $"v1/subjects/{Segment(subjectId)}/requests?limit={limit}", null), cancellationToken);

    /// <summary>Sends a code to the value a contact field (<c>email</c>, <c>phone</c>, <c>push</c>) holds now, to prove it is the subject's.</summary>
    public Task<ContactVerificationStarted> StartContactVerificationAsync(string subjectId, string field, CancellationToken cancellationToken = default) =>
        SendAsync<ContactVerificationStarted>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/contact-verifications", new { field }), cancellationToken);

    /// <summary>Completes a contact's proof with its code (and, for a change, the confirmation sent to the verified contact).</summary>
    public Task<VerifiedContactInfo> VerifyContactAsync(string subjectId, Guid verificationId, string code, Guid? confirmationId = null,
        string? confirmationCode = null, CancellationToken cancellationToken = default) =>
        SendAsync<VerifiedContactInfo>(Request(HttpMethod.Post, $"v1/subjects/{Segment(subjectId)}/verified-contacts",
            new { verificationId, code, confirmationId, confirmationCode }), cancellationToken);

    /// <summary>Starts the confirmation of <paramref name="guardianId"/> as <paramref name="minorSubjectId"/>'s guardian: a code goes to the guardian.</summary>
    public Task<GuardianVerificationStarted> StartGuardianVerificationAsync(string guardianId, string minorSubjectId, CancellationToken cancellationToken = default) =>
        SendAsync<GuardianVerificationStarted>(Request(HttpMethod.Post, $"v1/subjects/{Segment(guardianId)}/guardian-verifications",
            new { minorSubjectId }), cancellationToken);

    /// <summary>
    /// The one place a read's request is made: a header the vault comes to ask of reads (a step-up token for sensitive
    /// categories, say) is added here.
    /// </summary>
    private static HttpRequestMessage DetokenizeRequest(IReadOnlyList<string> tokens, string purpose, string? processorId, Guid? approvalId, string? stepUpToken)
    {
        var request = Request(HttpMethod.Post, "v1/detokenize", new { tokens, purpose, processorId, approvalId });
        if (stepUpToken is not null)
        {
            request.Headers.Add(StepUpToken.Header, stepUpToken);
        }

        return request;
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body, string? idempotencyKey = null)
    {
        var request = ApiTransport.Request(method, path, body);
        if (idempotencyKey is not null)
        {
            request.Headers.Add(PrivacySuiteResilienceHandler.IdempotencyKeyHeader, idempotencyKey);
        }

        return request;
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            return await ApiTransport.SendAsync<T>(http, request, static (status, title, detail, reason, errors) =>
                new PrivacySuiteApiException("vault", status, title, detail, reason, errors), cancellationToken);
        }
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);
}

/// <summary>Options of <see cref="VaultClientServiceCollectionExtensions.AddPrivacySuiteVaultClient"/>.</summary>
public sealed class VaultClientOptions : ServiceClientOptions
{
    /// <summary>The API key's name as the suite's configuration gives it (<c>PrivacySuite:Auth:ApiKeys:N:Name</c>): the <c>iss</c> of step-up tokens.</summary>
    public string? Caller { get; set; }

    /// <summary>
    /// Base64 PKCS#8 of the P-256 key the backend signs its step-up tokens with, whose public half is registered with its
    /// API key (<c>PrivacySuite:Auth:ApiKeys:N:StepUpKey</c>); null for a backend that reads no identity or location data.
    /// Set, every read sends a token for its purpose, so a wrong key refuses every read (401 <c>step-up-refused</c>): loud, not silent.
    /// </summary>
    public string? StepUpKey { get; set; }
}

/// <summary>Options of <see cref="VaultClientServiceCollectionExtensions.AddPrivacySuiteClient"/>: both services, one API key.</summary>
public sealed class PrivacySuiteClientOptions
{
    public ConsentClientOptions Consent { get; } = new();

    public VaultClientOptions Vault { get; } = new();

    /// <summary>The product backend's API key, for both clients.</summary>
    public string ApiKey
    {
        get => Vault.ApiKey;
        set
        {
            Consent.ApiKey = value;
            Vault.ApiKey = value;
        }
    }
}

public static class VaultClientServiceCollectionExtensions
{
    /// <summary>Registers <see cref="VaultClient"/> with its API key, resilience and (when <see cref="ServiceClientOptions.StandbyAddress"/> is set) the standby region for reads.</summary>
    public static IHttpClientBuilder AddPrivacySuiteVaultClient(this IServiceCollection services, Action<VaultClientOptions> configure)
    {
        var options = new VaultClientOptions();
        configure(options);
        ServiceClients.Check(options, "vault");
        if (options.StepUpKey is not null)
        {
            if (string.IsNullOrWhiteSpace(options.Caller))
            {
                throw new ArgumentException("A step-up key needs the caller's name (the API key's name), the iss of its tokens.", nameof(configure));
            }

            var signer = new StepUpSigner(options.Caller, options.StepUpKey);
            signer.TokenFor("configuration-check"); // a key that cannot sign fails here, at start-up, not on the first read
            services.AddSingleton(signer);
        }

        return services.AddHttpClient<VaultClient>((sp, http) => ServiceClients.Configure(http, options)).AddServiceHandlers(options);
    }

    /// <summary>Registers <see cref="ConsentClient"/> and <see cref="VaultClient"/> (each whose base address is given): a product backend's one call.</summary>
    public static IServiceCollection AddPrivacySuiteClient(this IServiceCollection services, Action<PrivacySuiteClientOptions> configure)
    {
        var options = new PrivacySuiteClientOptions();
        configure(options);
        if (options.Consent.BaseAddress is null && options.Vault.BaseAddress is null)
        {
            throw new ArgumentException("The PrivacySuite client needs the address of the consent service, the vault, or both.", nameof(configure));
        }

        // A backend that uses one service gives one address; the other client is then not registered.
        if (options.Consent.BaseAddress is not null)
        {
            services.AddPrivacySuiteConsentClient(o => Copy(options.Consent, o));
        }

        if (options.Vault.BaseAddress is not null)
        {
            services.AddPrivacySuiteVaultClient(o => Copy(options.Vault, o));
        }

        return services;
    }

    private static void Copy<T>(T from, T to)
        where T : ServiceClientOptions
    {
        to.BaseAddress = from.BaseAddress;
        to.StandbyAddress = from.StandbyAddress;
        to.ApiKey = from.ApiKey;
        to.AttemptTimeout = from.AttemptTimeout;
        to.MaxRetries = from.MaxRetries;
        to.OnRegionFallback = from.OnRegionFallback;
        if (from is ConsentClientOptions c && to is ConsentClientOptions d)
        {
            d.DecisionCacheStaleness = c.DecisionCacheStaleness;
        }

        if (from is VaultClientOptions v && to is VaultClientOptions w)
        {
            w.Caller = v.Caller;
            w.StepUpKey = v.StepUpKey;
        }
    }
}
