namespace PrivacySuite.Consent.Model;

/// <summary>The answer of the consent check.</summary>
/// <param name="Allowed">Whether the purpose may be pursued for the subject right now.</param>
/// <param name="Basis">The legal basis that allows it (consent or one of IWK-1.3's grounds); null when denied.</param>
/// <param name="PolicyVersion">Allowed: the version the subject agreed to. Denied: the version to show when asking again.</param>
/// <param name="Reason">A stable code: consent-granted, legal-basis, no-consent, consent-withdrawn, policy-changed,
/// guardian-consent-required, account-cancelled, subject-erased, unknown-subject, purpose-of-another-policy.</param>
/// <param name="SubjectChangedAt">The time of the latest change to the subject (registration, consent, cancellation,
/// erasure) this answer reflects; null for an unknown subject. Whoever keeps the answer must not keep it past a change
/// it has heard of that is newer.</param>
/// <param name="PolicyEpoch">The highest policy version sequence this answer's catalogue knows (see
/// <c>PolicyVersionPublished.Sequence</c>); an answer under a lower epoch than one already heard of is stale.</param>
/// <param name="SensitiveCategories">Allowed by consent: the purpose's sensitive categories the subject separately
/// agreed to (PIPL Art. 29), which the vault requires before it reads them. Empty otherwise.</param>
public sealed record ConsentDecision(bool Allowed, string? Basis, string? PolicyVersion, string Reason,
    DateTimeOffset? SubjectChangedAt = null, long PolicyEpoch = 0, IReadOnlyList<string>? SensitiveCategories = null);

public static class DecisionReasons
{
    public const string ConsentGranted = "consent-granted";
    public const string LegalBasis = "legal-basis";
    public const string NoConsent = "no-consent";
    public const string ConsentWithdrawn = "consent-withdrawn";
    public const string PolicyChanged = "policy-changed";
    public const string GuardianConsentRequired = "guardian-consent-required";
    public const string AccountCancelled = "account-cancelled";
    public const string SubjectErased = "subject-erased";
    public const string UnknownSubject = "unknown-subject";
    public const string PurposeOfAnotherPolicy = "purpose-of-another-policy";
    public const string SeparateConsentRequired = "separate-consent-required";
    public const string CategoryNotForPurpose = "category-not-for-purpose";
}

/// <summary>Why a grant's guardian was refused (issue 18.3): the <c>reason</c> of its problem details.</summary>
public static class GuardianReasons
{
    public const string Unknown = "guardian-unknown";
    public const string IsSubject = "guardian-is-subject";
    public const string NotActive = "guardian-not-active";
    public const string NotAdult = "guardian-not-adult";
    public const string NotVerified = "guardian-not-verified";
    public const string VerificationUnavailable = "guardian-verification-unavailable";
}

/// <summary>A grant's guardian refused: the answer's status, its reason (<see cref="GuardianReasons"/>) and what to do.</summary>
public sealed record GuardianRefusal(int Status, string Reason, string Detail, string? VerificationFailure = null)
{
    /// <summary>As the grant refuses: 422 with the vault's reason when it refused the code, or 503 when it could not be asked.</summary>
    public Refusal ToRefusal() => new(Status, Detail, Reason,
        VerificationFailure is { } failure ? new Dictionary<string, object?> { ["verificationFailure"] = failure } : null);
}

public static class AgeBands
{
    public const string Under14 = "under-14";
    public const string From14To17 = "14-17";
    public const string Adult = "18-plus";

    public static bool IsKnown(string? band) => band is Under14 or From14To17 or Adult;
}

/// <summary>The rules of the check, free of storage so that they can be read (and tested) in one place.</summary>
public static class ConsentRules
{
    /// <summary>PIPL Art. 28/31: under 14 always needs a guardian, whatever a policy says.</summary>
    public const int MinimumGuardianAge = 14;

    public const int MaximumGuardianAge = 21;

    /// <summary>Full civil capacity (Civil Code Art. 17): no one younger is anyone's guardian, whatever a policy says.</summary>
    public const int AdultAge = 18;

    /// <summary>
    /// Whether the subject is under the policy's guardian age. Dates are taken in UTC, which is behind China's clock:
    /// a birthday counts a few hours late, never early. An age band that straddles the guardian age counts as a minor.
    /// </summary>
    public static bool IsMinor(Subject subject, int guardianAge, DateOnly today)
    {
        if (subject.BirthDate is { } birth)
        {
            var age = today.Year - birth.Year;
            if (today < birth.AddYears(age))
            {
                age--;
            }

            return age < guardianAge;
        }

        return subject.AgeBand switch
        {
            AgeBands.Under14 => true,
            AgeBands.From14To17 => guardianAge > 14,
            AgeBands.Adult => guardianAge > 18,
            _ => true,
        };
    }

    public static ConsentDecision Decide(Subject? subject, Purpose purpose, Policy policy, ConsentRecord? consent, DateOnly today)
    {
        if (subject is null)
        {
            return Deny(policy, DecisionReasons.UnknownSubject);
        }

        // Erased is not unknown: the id was registered and must not be taken for a new person (or re-registered).
        if (subject.Status == SubjectStatus.Erased)
        {
            return Deny(policy, DecisionReasons.SubjectErased);
        }

        if (subject.Status == SubjectStatus.Cancelled)
        {
            return Deny(policy, DecisionReasons.AccountCancelled);
        }

        if (subject.PolicyId != purpose.PolicyId)
        {
            return Deny(policy, DecisionReasons.PurposeOfAnotherPolicy);
        }

        // A recorded non-consent basis (IWK-1.3) for this subject, or a purpose that rests on one by default; never for a
        // purpose that needs separate consent (PIPL Art. 29, 39: cross-border transfer above all), which only consent allows.
        if (consent is { State: ConsentState.Granted } && consent.Basis != nameof(LegalBasis.Consent) && !purpose.SeparateConsent)
        {
            return new ConsentDecision(true, consent.Basis, consent.PolicyVersion, DecisionReasons.LegalBasis);
        }

        if (purpose.DefaultBasis != nameof(LegalBasis.Consent))
        {
            return new ConsentDecision(true, purpose.DefaultBasis, policy.CurrentVersion, DecisionReasons.LegalBasis);
        }

        if (consent is null)
        {
            return Deny(policy, DecisionReasons.NoConsent);
        }

        if (consent.State != ConsentState.Granted || consent.Basis != nameof(LegalBasis.Consent))
        {
            return Deny(policy, consent.State != ConsentState.Granted ? DecisionReasons.ConsentWithdrawn : DecisionReasons.NoConsent);
        }

        // INF-4.2 / PIPL Art. 14: a changed purpose needs consent again, given under the version that changed it or later.
        if (consent.PolicySequence < purpose.ChangedInSequence)
        {
            return Deny(policy, DecisionReasons.PolicyChanged);
        }

        // IWK-3.1/3.2: a minor's consent counts only with a verified guardian's, even when the guardian age rose after it
        // was given. A guardian recorded before guardians were verified (issue 18.3) has no verification and counts as none.
        if (consent.GuardianVerificationId is null && IsMinor(subject, policy.GuardianAge, today))
        {
            return Deny(policy, DecisionReasons.GuardianConsentRequired);
        }

        return new ConsentDecision(true, consent.Basis, consent.PolicyVersion, DecisionReasons.ConsentGranted,
            SensitiveCategories: consent.SensitiveCategories);
    }

    /// <summary>
    /// Why <paramref name="guardian"/> cannot consent for <paramref name="subject"/>, or null: the guardian must be a
    /// registered, active subject other than the subject, and an adult who would not need a guardian themselves: of at
    /// least <see cref="AdultAge"/> and of both policies' guardian ages (a policy that counts 20-year-olds as minors does not
    /// let one consent for someone else). An age band that does not prove that age counts as not adult.
    /// </summary>
    public static GuardianRefusal? GuardianRefusal(Subject subject, string guardianId, Subject? guardian, Policy policy, Policy? guardianPolicy, DateOnly today)
    {
        if (guardianId == subject.SubjectId)
        {
            return new(422, GuardianReasons.IsSubject, "A subject cannot be their own guardian: the guardian is another registered adult.");
        }

        if (guardian is null || guardianPolicy is null)
        {
            return new(422, GuardianReasons.Unknown, "The guardian is not a registered subject: register the guardian (POST /v1/subjects) with their birth date first.");
        }

        if (guardian.Status != SubjectStatus.Active)
        {
            return new(422, GuardianReasons.NotActive, $"The guardian's account is {guardian.Status}: a guardian must be an active subject.");
        }

        var adultAge = Math.Max(AdultAge, Math.Max(policy.GuardianAge, guardianPolicy.GuardianAge));
        return IsMinor(guardian, adultAge, today)
            ? new(422, GuardianReasons.NotAdult, $"The guardian is not known to be {adultAge} or older: a guardian must be an adult who needs no guardian themselves.")
            : null;
    }

    private static ConsentDecision Deny(Policy policy, string reason) => new(false, null, policy.CurrentVersion, reason);
}
