-- Erasure reaches the consent service: an erased subject keeps its id (never registered again) and its consent history
-- (the proof of what was agreed), but not its birth date or age band; the check answers subject-erased.
alter table subjects drop constraint subjects_status_check;
alter table subjects add constraint subjects_status_check check (status in ('active', 'cancelled', 'erased'));
alter table subjects drop constraint subjects_check;
alter table subjects add constraint subjects_birth_date_or_age_band check (birth_date is not null or age_band is not null or status = 'erased');
alter table subjects add column erased_at timestamptz null;
