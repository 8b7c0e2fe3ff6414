-- Subjects from before per-subject key files, which the vault gives their key file at start-up (SubjectKeyFiles):
-- the index holds only those, so looking for them stays one index probe once none are left.
create index subjects_without_key_file on subjects (subject_id) where not subject_key and wrapped_key is not null;
