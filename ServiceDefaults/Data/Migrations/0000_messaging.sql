-- The transactional outbox and the inbox that every service shares (ServiceDbContext).
create table outbox_messages (
    sequence        bigint generated always as identity primary key,
    message_id      uuid        not null unique,
    message_type    text        not null,
    payload         jsonb       not null,
    trace_parent    text        null,
    created_at      timestamptz not null,
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null,
    sent_at         timestamptz null,
    last_error      text        null
);

-- The relay only ever looks at what is still to be sent.
create index outbox_messages_pending on outbox_messages (next_attempt_at, sequence) where sent_at is null;
create index outbox_messages_sent on outbox_messages (sent_at) where sent_at is not null;

create table inbox_messages (
    message_id   uuid        not null,
    consumer     text        not null,
    processed_at timestamptz not null,
    primary key (message_id, consumer)
);

create index inbox_messages_processed on inbox_messages (processed_at);
