-- The relay takes due rows in sequence order. With only the (next_attempt_at, sequence) index, PostgreSQL walks the
-- primary key past every sent row still kept (24 h) or sorts the whole backlog: each batch of 200 cost 170 ms with
-- 500,000 rows sent and 400,000 pending, and a million-notice campaign's delivery events slowed to ~300/s. This index
-- holds only unsent rows, in the order the relay reads them: the same batch takes 2.5 ms.
create index outbox_messages_pending_sequence on outbox_messages (sequence) where sent_at is null;
-- It serves every query the old (next_attempt_at, sequence) index served, so that one goes: an outbox insert keeps
-- the same number of index entries to write.
drop index if exists outbox_messages_pending;
