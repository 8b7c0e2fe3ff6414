-- Sweeps decide and remove in one statement per batch: the inventory rows a batch removes are deleted at once, and the
-- sweep item keeps what they said, so a refusal by the vault can put them back as they were.
create type retention_swept_token as (
    token        text,
    category     text,
    purpose      text,
    stored_at    timestamptz,
    last_used_at timestamptz
);

alter table sweep_items add column swept retention_swept_token[] not null default '{}';

-- A time-ordered uuid (version 7) made in SQL: sweep items and outbox messages created by one statement land at the
-- right edge of their indexes, as ids made in C# with Guid.CreateVersion7 do.
create function retention_uuid_v7(at timestamptz) returns uuid language sql volatile as $$
    select encode(
        set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                                placing substring(int8send((extract(epoch from at) * 1000)::bigint) from 3)
                                from 1 for 6),
                        52, 1), 53, 1),
        'hex')::uuid
$$;
