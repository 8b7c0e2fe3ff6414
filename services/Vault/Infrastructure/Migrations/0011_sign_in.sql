-- Issue 20 (INF-6.3, IWK-2.3): a person signs in to the privacy centre with a one-time code sent to the contact they
-- typed, and sees their own requests.
-- created_at: when a verification was started, for the subject's list of their requests. Null for the rows before this
-- version: their start is shown as their expiry less the lifetime in force (what GET /v1/subject-requests showed).
-- contact_token: for a sign-in, the token of the contact value that was typed; with contact_version it names the one
-- value (and its verified copy) the code may go to.
alter table verifications
    add column created_at    timestamptz null,
    add column contact_token text        null;

-- A subject's own requests, looked up by the subject: the table had no index but its primary key.
create index verifications_subject on verifications (subject_id, expires_at);
