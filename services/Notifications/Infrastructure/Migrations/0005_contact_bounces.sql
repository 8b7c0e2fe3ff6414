-- Issue 21.4: a contact the mail server refused for good (a 5xx reply to RCPT: no such mailbox) is a bounce, kept against
-- the subject and a keyed hash of the address (HMAC-SHA256 with PrivacySuite:Notifications:ContactKey), never the
-- address itself. Later notices to the subject skip that address and fall back to its other channels; a new address
-- (another hash) is tried again.
create table contact_bounces (
    subject_id text not null,
    channel text not null,
    contact_hash text not null,
    request_id uuid not null,
    bounced_at timestamptz not null,
    primary key (subject_id, channel, contact_hash)
);

-- A send attempt may now end as a bounce.
alter table send_attempts drop constraint send_attempts_state_check;
alter table send_attempts add constraint send_attempts_state_check check (state in ('sending', 'sent', 'rejected', 'in_doubt', 'bounced'));
