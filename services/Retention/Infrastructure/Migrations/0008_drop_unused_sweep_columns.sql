-- Issue 19: two columns nothing has read or written since a sweep item became one request to the vault (0002, 0003):
-- certificate_id (a certificate belongs to a subject, in deletion_certificates) and swept (the tokens, now kept as the
-- parallel arrays of 0003). Items written before then were answered long ago.
alter table sweep_items drop column certificate_id, drop column swept;
drop type retention_swept_token;
