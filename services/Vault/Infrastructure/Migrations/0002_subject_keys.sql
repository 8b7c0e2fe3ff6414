-- A subject's data key is wrapped under the KEK together with a per-subject key file in the key folder (never in this
-- database), so erasure can destroy key material that a database backup does not hold. Rows from before keep being
-- wrapped by the KEK alone until their next re-key or KEK rotation.
alter table subjects add column subject_key boolean not null default false;
