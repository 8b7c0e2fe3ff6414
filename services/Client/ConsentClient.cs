namespace PrivacySuite.Client;

/// <summary>
/// Typed calls to the consent service. Give it an <see cref="HttpClient"/> whose base address is the service and which
/// sends the <c>X-Api-Key</c> header (<see cref="ConsentClientServiceCollectionExtensions.AddPrivacySuiteConsentClient"/>
/// does both, with retries, timeouts and a circuit breaker). With a <see cref="ConsentDecisionCache"/>, repeated checks
/// are answered locally, never older than its <see cref="ConsentDecisionCache.MaxStaleness"/>.
/// </summary>
public sealed class ConsentClient(HttpClient http, ConsentDecisionCache? cache = null)
{
    public ConsentDecisionCache? Cache => cache;

    /// <summary>Is <paramref name="subjectId"/> allowed <paramref name="purpose"/> right now?</summary>
    public async Task<ConsentCheckResult> CheckAsync(string subjectId, string purpose, CancellationToken cancellationToken = default)
    {
        if (cache is not null && cache.TryGet(subjectId, purpose, out var cached))
        {
            return cached;
        }

        var generation = cache?.Generation ?? 0;
        var result = await SendAsync<ConsentCheckResult>(
            HttpMethod.Get, $"v1/consents/check?subjectId={Uri.EscapeDataString(subjectId)}&purpose={Uri.EscapeDataString(purpose)}", null, cancellationToken);
        cache?.Store(subjectId, purpose, result, generation);
        return result;
    }

    public Task<IReadOnlyList<PurposeInfo>> ListPurposesAsync(string? policyId = null, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<PurposeInfo>>(HttpMethod.Get, policyId is null ? "v1/purposes" : $"v1/purposes?policyId={Uri.EscapeDataString(policyId)}", null, cancellationToken);

    public Task<PolicyVersionInfo> PublishPolicyVersionAsync(string policyId, PublishPolicyVersion request, CancellationToken cancellationToken = default) =>
        SendAsync<PolicyVersionInfo>(HttpMethod.Post, $"v1/policies/{Uri.EscapeDataString(policyId)}/versions", request, cancellationToken);

    /// <summary>The policy's current version and its text, to show a subject what they agree to.</summary>
    public Task<CurrentPolicy> GetCurrentPolicyAsync(string policyId, CancellationToken cancellationToken = default) =>
        SendAsync<CurrentPolicy>(HttpMethod.Get, $"v1/policies/{Uri.EscapeDataString(policyId)}/current", null, cancellationToken);

    public Task<SubjectInfo> RegisterSubjectAsync(RegisterSubject request, CancellationToken cancellationToken = default) =>
        SendAsync<SubjectInfo>(HttpMethod.Post, "v1/subjects", request, cancellationToken);

    public async Task<GrantedConsent> GrantConsentAsync(string subjectId, GrantConsent request, CancellationToken cancellationToken = default)
    {
        var granted = await SendAsync<GrantedConsent>(HttpMethod.Post, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/consents", request, cancellationToken);
        cache?.Invalidate(subjectId, request.Purpose);
        return granted;
    }

    /// <summary>Withdraws consent; this client's cached answer for the pair is gone before the call returns.</summary>
    public async Task<ConsentInfo> WithdrawConsentAsync(string subjectId, string purpose, CancellationToken cancellationToken = default)
    {
        cache?.Invalidate(subjectId, purpose);
        try
        {
            return await SendAsync<ConsentInfo>(
                HttpMethod.Delete, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/consents/{Uri.EscapeDataString(purpose)}", null, cancellationToken);
        }
        finally
        {
            // Again after the answer: a check that raced the call must not leave the old answer behind.
            cache?.Invalidate(subjectId, purpose);
        }
    }

    /// <summary>
    /// Withdraws the person's separate consent to one sensitive category (<c>identity</c>, <c>location</c>) of a purpose; the
    /// purpose stays (also an essential one), the vault stops reading the category for it. Twice is once.
    /// </summary>
    public async Task<ConsentInfo> WithdrawSensitiveConsentAsync(string subjectId, string purpose, string category, CancellationToken cancellationToken = default)
    {
        cache?.Invalidate(subjectId, purpose);
        try
        {
            return await SendAsync<ConsentInfo>(HttpMethod.Delete,
                $"v1/subjects/{Uri.EscapeDataString(subjectId)}/consents/{Uri.EscapeDataString(purpose)}/sensitive-categories/{Uri.EscapeDataString(category)}",
                null, cancellationToken);
        }
        finally
        {
            cache?.Invalidate(subjectId, purpose);
        }
    }

    public Task<SubjectConsents> GetConsentsAsync(string subjectId, CancellationToken cancellationToken = default) =>
        SendAsync<SubjectConsents>(HttpMethod.Get, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/consents", null, cancellationToken);

    public async Task<AccountCancellation> CancelAccountAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync<AccountCancellation>(HttpMethod.Post, $"v1/subjects/{Uri.EscapeDataString(subjectId)}/cancellation", null, cancellationToken);
        }
        finally
        {
            cache?.InvalidateSubject(subjectId);
        }
    }

    public Task<ReceiptKeySet> GetReceiptKeysAsync(CancellationToken cancellationToken = default) =>
        SendAsync<ReceiptKeySet>(HttpMethod.Get, "v1/receipts/keys", null, cancellationToken);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = ApiTransport.Request(method, path, body);
        return await ApiTransport.SendAsync<T>(http, request, static (status, title, detail, reason, errors) =>
            new ConsentApiException(status, title, detail, reason, errors), cancellationToken);
    }
}
