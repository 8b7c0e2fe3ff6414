-- Issue 18.3: a guardian's consent names the vault verification that proved the guardian (a one-time code sent to the
-- guardian's own verified contacts, redeemed when the consent was recorded). The code itself is stored nowhere.
-- Rows from before keep their guardian_id and the free text they were given in guardian_verification, and have no
-- verification id: nothing proved those guardians, so they no longer count as a guardian's consent for a minor (the
-- check answers guardian-consent-required until a verified guardian consents again). consent_history is evidence and is
-- not changed; its new column is null for the rows before.
alter table consents add column guardian_verification_id uuid null;
alter table consent_history add column guardian_verification_id uuid null;
