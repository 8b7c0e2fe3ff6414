using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using PrivacySuite.Contracts;
using PrivacySuite.ServiceDefaults.Data;
using PrivacySuite.Vault.Crypto;
using PrivacySuite.Vault.Model;

namespace PrivacySuite.Vault.Workers;

/// <summary>
/// A store, rehearsed on a standby when it starts (issue 22.5), as far as a read-only database lets it go: the subject's
/// lock and insert (refused), the read of its values, the key derivation, wrapping and encryption with throwaway keys,
/// the lookup token, the access log's append (refused), and the value, the subject's update and the event in the
/// warm-up's refused save. Nothing is written and no key file is made. Without it, a promoted vault's first store
/// compiled all of this while every other service of the region did the same (1.5 s of its 1.8-2.2 s in the drill).
/// </summary>
internal sealed class StoreRehearsal(VaultService vault, Keyring keyring, AccessLogBook accessLog, TimeProvider time) : IStandbyRehearsal<VaultDbContext>
{
    private const string Nobody = StandbyRehearsal.Nobody;

    public async Task RehearseAsync(VaultDbContext readOnly, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await StandbyRehearsal.RefusedAsync(readOnly, () => keyring.LockAsync(readOnly, Nobody, cancellationToken), cancellationToken);
        await StandbyRehearsal.RefusedAsync(readOnly, () => Keyring.InsertAsync(readOnly, Nobody, [], 0, now, cancellationToken), cancellationToken);
        await vault.ValuesOfAsync(Nobody, Categories.Delivery, cancellationToken);

        var wrappingKey = SubjectKeyStore.WrappingKey(RandomNumberGenerator.GetBytes(Envelope.KeySize), RandomNumberGenerator.GetBytes(Envelope.KeySize));
        var dataKey = Envelope.Unwrap(wrappingKey, 0, Nobody, 1, Envelope.Wrap(wrappingKey, 0, Nobody, 1, Envelope.NewDataKey()));
        var value = new PersonalValue
        {
            Token = "tk_" + MacKeys.Base64Url(RandomNumberGenerator.GetBytes(18)),
            SubjectId = Nobody,
            Category = Categories.Delivery,
            Field = "address",
            Source = "provided",
            LegalBasis = LegalBases.Contract,
            Version = 1,
            KeyGeneration = 1,
            StoredAt = now,
            UpdatedAt = now,
            Nonce = Envelope.RandomNonce(),
            LookupToken = vault.LookupFor("email", "standby-warm-up@example.invalid"),
        };
        using (var aes = new AesGcm(dataKey, Envelope.TagSize))
        {
            var aad = Envelope.ValueAad(Nobody, value.Category, value.Field, value.Token, value.Version, value.KeyGeneration);
            value.Ciphertext = Envelope.Encrypt(aes, value.Nonce, "No. 1 Warm-up Road"u8, aad);
            Envelope.Decrypt(aes, value.Nonce, value.Ciphertext, aad);
        }

        CryptographicOperations.ZeroMemory(dataKey);
        CryptographicOperations.ZeroMemory(wrappingKey);

        var transaction = (NpgsqlTransaction)readOnly.Database.CurrentTransaction!.GetDbTransaction();
        await StandbyRehearsal.RefusedAsync(readOnly, () => accessLog.AppendAsync(transaction,
            [new AccessRecord("write", "allowed", Nobody, Nobody, Category: value.Category, Detail: "fields=1")], cancellationToken), cancellationToken);

        // Saved, and refused, with the warm-up's own rows: an insert of a value, an update of a subject, an event.
        readOnly.Values.Add(value);
        var subject = new Subject { SubjectId = Nobody, CreatedAt = now };
        readOnly.Subjects.Attach(subject);
        subject.NoncesUsed++;
        readOnly.AddIntegrationEvent(new SubjectDataStored(Nobody, DataCategory.Delivery, value.Token, now), now);
    }
}
