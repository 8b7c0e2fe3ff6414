-- Issue 18: a kept consent decision is used only while it is fresh. Each records what it is as of (the consent service's
-- time of the last change to the subject it reflects) and the policy epoch it was decided under; reads ignore it past
-- PrivacySuite:Vault:ConsentDecisionMaxAge or under an older epoch, and ask the consent service again.
alter table consent_decisions add column as_of timestamptz null;
alter table consent_decisions add column policy_epoch bigint not null default 0;

-- The newest change to each subject's consent the vault has heard of (grant, withdrawal, cancellation), on the consent
-- service's clock: an answer as of an earlier time missed it and is not kept.
create table consent_changes (
    subject_id text        primary key,
    changed_at timestamptz not null
);

-- The highest policy version sequence heard of (PolicyVersionPublished.Sequence): one row, so that a policy change that
-- concerns everyone is one update, not a statement per subject.
create table consent_epoch (
    id    int    primary key check (id = 1),
    epoch bigint not null
);
insert into consent_epoch (id, epoch) values (1, 0);

-- What was kept before came partly from events that allowed reads by themselves and never expired: ask again.
delete from consent_decisions;
