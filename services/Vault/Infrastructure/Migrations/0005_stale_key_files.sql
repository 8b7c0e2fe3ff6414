-- Key files are deleted only once the transaction that made them stale (an erasure, a re-key) has committed. The flag
-- is set in that transaction and cleared by StaleKeyFiles once the files are gone, so a process that stopped in between,
-- or a deletion that failed, is retried: the index holds only the subjects still waiting.
alter table subjects add column stale_key_files boolean not null default false;
create index subjects_stale_key_files on subjects (subject_id) where stale_key_files;

-- Nonces are random since issue 18: this only counts encryptions under the current data key, against its budget.
comment on column subjects.nonces_used is 'Encryptions under the current data key (random nonces), counted against MaxEncryptionsPerKey';
