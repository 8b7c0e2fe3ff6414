-- A sweep item can name a schedule instead of tokens (one ExpiredRemovalsRequested): every value of its category stored
-- before stored_before of the subjects in subject_ids. Used for a category whose only schedule counts from collection,
-- which the vault can apply itself; retention then neither returns nor sends nor keeps the tokens it removes.
alter table sweep_items add column stored_before timestamptz null;
