-- Issue 21.3: a sensitive category (identity, location) is read for a purpose with the subject's separate consent to
-- that category for that purpose (PIPL Art. 29) and the caller's second factor, or with an officer's approval of one
-- read. A kept consent decision carries the categories the consent service answered as separately consented, lower case.
alter table consent_decisions add column sensitive_categories text[] not null default '{}';

-- Decisions kept before could not say which: ask again.
delete from consent_decisions;
