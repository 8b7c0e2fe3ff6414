namespace PrivacySuite.Consent.Model;

/// <summary>
/// IWK-3.3: finds subjects whose data was collected under their own consent while they are, by the policy's current
/// guardian age, minors without a guardian's consent. Consent is never granted that way (IWK-3.1 refuses it), so such
/// consents appear when a policy raises its guardian age: those subjects were taken for adults when they consented.
/// Each is announced with <see cref="MinorWithoutGuardianConsentDetected"/>, and retention erases the subject in its next sweep.
/// </summary>
public static class MinorDetection
{
    /// <summary>Queues one event per such subject of <paramref name="policy"/> in the caller's (open) transaction; returns how many.</summary>
    public static async Task<int> DetectAsync(ConsentDbContext db, Policy policy, DateOnly today, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The database narrows to subjects who may be under the guardian age and hold a consent without a verified
        // guardian's (an unverified one from before issue 18.3 counts as none); the
        // rule itself (ConsentRules.IsMinor, with its birthday and age-band details) decides.
        var youngestAdultBirth = today.AddYears(-policy.GuardianAge).AddDays(-1);
        var candidates = await db.Subjects.AsNoTracking()
            .Where(s => s.PolicyId == policy.PolicyId && s.Status == SubjectStatus.Active && (s.BirthDate == null || s.BirthDate >= youngestAdultBirth))
            .Where(s => db.Consents.Any(c => c.SubjectId == s.SubjectId && c.State == ConsentState.Granted &&
                                             c.Basis == nameof(LegalBasis.Consent) && c.GuardianVerificationId == null))
            .ToListAsync(cancellationToken);
        var detected = candidates.Where(s => ConsentRules.IsMinor(s, policy.GuardianAge, today))
            .Select(s => new MinorWithoutGuardianConsentDetected(s.SubjectId, now))
            .ToList();
        if (detected.Count > 0)
        {
            await db.AddIntegrationEventsAsync(detected, now, cancellationToken);
        }

        return detected.Count;
    }
}
