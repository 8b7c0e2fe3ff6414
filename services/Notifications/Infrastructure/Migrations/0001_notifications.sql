-- Notice requests (one subject, or a campaign of many), one delivery per (request, subject), and the send ledger.
-- Contacts are never stored here: they are fetched from the vault at send time and held in memory only.
create table notice_requests (
    request_id      uuid        primary key,
    notice_type     text        not null,
    variables       jsonb       not null,
    -- Who asked through the API, and their Idempotency-Key; null for requests that arrived as events.
    caller          text        null,
    idempotency_key text        null,
    body_hash       text        null,
    subject_count   integer     not null,
    -- Single notices (verification codes) go before campaign batches.
    priority        smallint    not null,
    paused          boolean     not null default false,
    requested_at    timestamptz not null,
    unique (caller, idempotency_key)
);

create table deliveries (
    sequence        bigint      generated always as identity primary key,
    request_id      uuid        not null references notice_requests (request_id),
    subject_id      text        not null,
    priority        smallint    not null,
    status          text        not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    channel         text        null,
    reason          text        null,
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null,
    -- A dispatcher that claimed the delivery owns it until then; after a crash another one takes it over.
    lease_until     timestamptz null,
    completed_at    timestamptz null,
    unique (request_id, subject_id)
);

create index deliveries_due on deliveries (priority, sequence) where status = 'pending';

-- The at-most-once ledger: a row is committed before anything is sent on a channel, and its key forbids a second send.
create table send_attempts (
    request_id  uuid        not null,
    subject_id  text        not null,
    channel     text        not null,
    state       text        not null check (state in ('sending', 'sent', 'rejected', 'in_doubt')),
    started_at  timestamptz not null,
    finished_at timestamptz null,
    primary key (request_id, subject_id, channel)
);

-- Public announcements (IWK-2.9), rendered in both languages when published.
create table bulletins (
    bulletin_id  uuid        primary key,
    notice_type  text        not null,
    title_zh     text        not null,
    body_zh      text        not null,
    title_en     text        not null,
    body_en      text        not null,
    published_at timestamptz not null
);

create index bulletins_published on bulletins (published_at desc);
