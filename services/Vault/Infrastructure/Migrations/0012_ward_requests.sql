-- Issue 20 (IWK-3.1): a guardian exercises a minor's rights for them in the privacy centre. guardian_id: the guardian
-- who started a rights request on the subject's behalf; the code goes to the guardian's verified contacts, and only the
-- same guardian, acting for the subject, redeems it. Null for the subject's own requests.
alter table verifications add column guardian_id text null;
