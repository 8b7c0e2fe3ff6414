-- A sweep item can name a schedule instead of tokens (one ExpiredRemovalsRequested): every value of its category stored
-- before stored_before of the subjects in subject_ids. Used for a category whose only schedule counts from collection,
-- which the vault can apply itself; retention then neither returns nor sends nor keeps the tokens it removes.
alter table sweep_items add column stored_before timestamptz null;

-- A sweep reads a batch's inventory by category and subject (and, for a rule that goes by range, clock): rows of
-- categories a statement does not decide on are never read.
create index inventory_items_category_subject on inventory_items (category, subject_id, stored_at);
