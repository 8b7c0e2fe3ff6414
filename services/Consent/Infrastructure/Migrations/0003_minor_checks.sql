-- IWK-3.3: each subject is looked at once, when the grace period after its registration has passed; a minor without a
-- guardian's consent by then is reported to retention. Only the subjects still to look at are indexed.
alter table subjects add column minor_checked_at timestamptz null;
create index subjects_minor_unchecked on subjects (registered_at) where minor_checked_at is null;
