namespace PrivacySuite.Vault.Model;

/// <summary>An export of a subject's values of some categories to a recipient in a country, for a purpose.</summary>
public sealed record TransferOrder(string SubjectId, string Country, string Recipient, string Purpose, IReadOnlyList<string> Categories);

/// <summary>Residency (INF-2.1, IWK-2.4): exports, at home and abroad.</summary>
public sealed partial class VaultService
{
    /// <summary>
    /// Exports the subject's values of the order's categories. It is a read for the order's purpose (the catalogue's
    /// categories, the value's basis or the subject's consent, as any read); outside <see cref="VaultOptions.HomeJurisdiction"/>
    /// it needs as well the subject's separate consent to the cross-border purpose of their policy (PIPL Art. 39), giving
    /// every category exported, and a transfer basis recorded for the recipient in that country (Art. 38). Every attempt
    /// is logged, allowed or not.
    /// </summary>
    public async Task<Outcome<IReadOnlyList<ClearValue>>> TransferAsync(TransferOrder order, string accessor, CancellationToken ct)
    {
        string[] categories = [.. order.Categories];
        var rows = await db.Values.AsNoTracking().Where(v => v.SubjectId == order.SubjectId && categories.Contains(v.Category)).ToListAsync(ct);
        if (rows.Count == 0)
        {
            return new Refusal(404, "The vault holds no data of these categories for this subject.", "unknown-subject");
        }

        var detail = $"country={order.Country};recipient={order.Recipient}";
        var crossBorder = order.Country == options.Value.HomeJurisdiction ? null : await CrossBorderRefusalAsync(order, ct);
        var outcome = crossBorder is not null ? crossBorder : await ReadAsync(rows, new ReadContext(accessor, order.Purpose), "transfer-read", ct);
        await accessLog.AppendAsync(db, ct, outcome is Outcome<IReadOnlyList<ClearValue>>.Refused { Why: var refused }
            ? new AccessRecord("transfer", "denied", order.SubjectId, accessor, order.Purpose, Detail: $"{detail};reason={refused.Reason}")
            : new AccessRecord("transfer", "allowed", order.SubjectId, accessor, order.Purpose, Detail: detail));
        return outcome;
    }

    /// <summary>Why a transfer abroad may not happen, or null when the subject's separate consent and a recorded basis allow it.</summary>
    private async Task<Refusal?> CrossBorderRefusalAsync(TransferOrder order, CancellationToken ct)
    {
        var home = options.Value.HomeJurisdiction;
        var crossBorder = options.Value.CrossBorderPurposesInForce;

        // One cross-border purpose per policy; the subject's own is the one the consent service can allow.
        string? consentedTo = null;
        string? unanswered = null;
        foreach (var purpose in crossBorder)
        {
            var (allowed, reason, _) = await consent.DecideAsync(db, order.SubjectId, purpose, ct);
            if (allowed)
            {
                consentedTo = purpose;
                break;
            }

            unanswered ??= reason is "no-consent" ? null : reason;
        }

        if (consentedTo is null)
        {
            return unanswered is not null
                ? new(403, DenialDetail(unanswered), unanswered)
                : new(403,
                    $"A transfer outside {home} needs the subject's separate consent to the cross-border purpose of their policy " +
                    $"({string.Join(" or ", crossBorder.Select(p => $"'{p}'"))}), given through the consent service (PIPL Art. 39, IWK-2.4).",
                    "no-cross-border-consent",
                    // The purposes the subject could consent to for the transfer to pass.
                    new Dictionary<string, object?> { ["purposes"] = crossBorder });
        }

        var lookup = await catalogue.FindAsync(consentedTo, ct);
        if (!lookup.Available)
        {
            return new(403, DenialDetail("consent-service-unavailable"), "consent-service-unavailable");
        }

        var notGiven = order.Categories.Where(c => lookup.Purpose?.Gives(c) != true).ToList();
        if (notGiven.Count > 0)
        {
            return new(403,
                $"The subject's consent to '{consentedTo}' covers only the categories the catalogue gives that purpose; " +
                $"{string.Join(", ", notGiven)} may not leave {home} under it (PIPL Art. 39).", "category-not-for-purpose");
        }

        if (!await db.TransferBases.AnyAsync(b => b.DestinationCountry == order.Country && b.Recipient == order.Recipient, ct))
        {
            return new(403,
                $"No transfer basis is recorded for this recipient in {order.Country}: a privacy officer records one with PUT /v1/transfer-bases (PIPL Art. 38, IWK-2.4).",
                "no-transfer-basis");
        }

        return null;
    }
}
