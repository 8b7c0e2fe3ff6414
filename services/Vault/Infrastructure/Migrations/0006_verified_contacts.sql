-- Issue 18.4: one-time codes go only to contacts the subject proved control of, never to whatever the contact field
-- holds now (a product backend can overwrite that). A verified contact is a copy of the contact value as it was
-- verified: the same ciphertext under the same AAD inputs (subject, category contact, field, token, version, key
-- generation), so it decrypts like its source did and a later overwrite of the source leaves it as it was. Deleting the
-- source value (retention, a category's erasure, anonymisation) deletes the copy with it.
create table verified_contacts (
    subject_id     text        not null references subjects (subject_id),
    field          text        not null check (field in ('email', 'phone', 'push')),
    source_token   text        not null references personal_values (token) on delete cascade,
    source_version integer     not null,
    key_generation integer     not null,
    nonce          bytea       not null,
    ciphertext     bytea       not null,
    verified_at    timestamptz not null,
    -- Who completed the proof; 'adopted' for the contacts this migration found.
    verified_by    text        not null,
    primary key (subject_id, field)
);

create index verified_contacts_source on verified_contacts (source_token);

-- Contacts stored before this version are what the vault sent codes to until now: they are adopted as verified, here,
-- in the deploying transaction, so no request can slip an overwritten contact in between. A contact overwritten by a
-- hostile backend before the upgrade is adopted too; nothing in the database tells it apart (docs/security.md).
insert into verified_contacts (subject_id, field, source_token, source_version, key_generation, nonce, ciphertext, verified_at, verified_by)
select v.subject_id, v.field, v.token, v.version, v.key_generation, v.nonce, v.ciphertext, v.updated_at, 'adopted'
from personal_values v
join subjects s on s.subject_id = v.subject_id
where v.category = 'contact' and v.field in ('email', 'phone', 'push') and s.wrapped_key is not null;

-- A code is made when the notification service fetches it (by the verification's id) and only its keyed hash is kept,
-- so code_hash is null until then. A contact's proof names the contact field and the version of its value that the
-- code went to; an officer's approval of an access or export of the highest protection level is recorded here too.
alter table verifications
    alter column code_hash drop not null,
    add column released_at     timestamptz null,
    add column contact_field   text        null,
    add column contact_version integer     null,
    add column approved_by     text        null,
    add column approved_at     timestamptz null;

-- Before this version the code travelled in the NoticeRequested event: what the outbox still holds of it goes.
update outbox_messages
set payload = jsonb_set(payload, '{variables}', (payload -> 'variables') - 'code')
where message_type like 'PrivacySuite.Contracts.NoticeRequested,%'
  and payload ->> 'noticeType' = 'verification-code'
  and payload -> 'variables' ? 'code';
