-- Incident notices to everyone with data of a category, whenever stored (a leaked backup has no time window): the
-- listing walks each category in subject id order from the page's cursor, so a page costs a page, not a table scan.
create index personal_values_category_subject on personal_values (category, subject_id);
