-- Issue 18.3: a guardian confirms guardianship of a minor with a one-time code sent to the guardian's own verified
-- contacts. The verification is the guardian's (subject_id) and is bound to the minor it was started for: its code
-- redeems the guardianship of that minor and of no other. Null for every other kind of verification.
alter table verifications add column minor_subject_id text null;
