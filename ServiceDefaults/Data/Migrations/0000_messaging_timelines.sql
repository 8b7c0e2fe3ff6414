-- The database timelines the outbox relay has published on. A timeline it has not seen means this database was
-- promoted (a failover): the relay then re-publishes what was sent shortly before, because those messages may have
-- died with the old primary's broker. Consumers' inboxes absorb the copies that did arrive.
create table outbox_timelines (
    timeline    bigint      primary key,
    seen_at     timestamptz not null
);
