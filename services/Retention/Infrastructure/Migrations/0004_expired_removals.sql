-- A sweep item can name a schedule instead of tokens (one ExpiredRemovalsRequested): every value of its category stored
-- before stored_before of the subjects in subject_ids. Used for a category whose only schedule counts from collection,
-- which the vault can apply itself; retention then neither returns nor sends nor keeps the tokens it removes.
alter table sweep_items add column stored_before timestamptz null;

-- A sweep reads a batch's inventory by subject, category and clock: with them in the index, rows of categories a
-- statement does not decide on are passed over without reading the table.
create index inventory_items_subject_category on inventory_items (subject_id, category, stored_at);
drop index inventory_items_subject;
