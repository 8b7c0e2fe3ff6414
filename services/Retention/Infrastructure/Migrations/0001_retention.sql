-- Retention: schedules, the inventory of what the vault holds (by token), legal holds, sweeps and termination plans.

-- Versioned: a change adds a row; the highest version of (category, purpose) is the one in force.
create table retention_schedules (
    id            uuid        primary key,
    category      text        not null,
    purpose       text        not null,   -- a purpose code, or '*' for any purpose without its own schedule
    version       integer     not null check (version > 0),
    period_days   integer     not null check (period_days between 0 and 36500),
    action        text        not null check (action in ('erase', 'anonymise')),
    clock_trigger text        not null check (clock_trigger in ('collection', 'last-use', 'account-cancellation', 'purpose-fulfilled')),
    changed_by    text        not null,
    note          text        null,
    created_at    timestamptz not null,
    unique (category, purpose, version)
);

-- Every subject retention knows of; sweeps walk this table in key order, a batch of whole subjects at a time.
create table retention_subjects (
    subject_id        text        primary key,
    first_seen_at     timestamptz not null,
    cancelled_at      timestamptz null,
    minor_detected_at timestamptz null,
    erasure_item_id   uuid        null,  -- a whole-subject erasure or anonymisation is with the vault
    erased_at         timestamptz null
);

-- What the vault holds, by token (never the value).
create table inventory_items (
    token         text        primary key,
    subject_id    text        not null,
    category      text        not null,
    purpose       text        not null,
    stored_at     timestamptz not null,
    last_used_at  timestamptz null,
    state         text        not null default 'active' check (state in ('active', 'erasing', 'anonymising')),
    sweep_item_id uuid        null
);
create index inventory_items_subject on inventory_items (subject_id, token);

create table purpose_fulfilments (
    subject_id   text        not null,
    purpose      text        not null,
    fulfilled_at timestamptz not null,
    primary key (subject_id, purpose)
);

create table legal_holds (
    id          uuid        primary key,
    subject_id  text        null,
    category    text        null,
    reason_code text        not null check (reason_code in ('law', 'court-order', 'authority', 'agreement-enforcement',
                                                            'public-interest', 'complaint-or-dispute', 'safety')),
    placed_by   text        not null,
    reference   text        not null,
    review_at   timestamptz not null,
    placed_at   timestamptz not null,
    released_at timestamptz null,
    released_by text        null,
    check (subject_id is not null or category is not null)
);
create index legal_holds_active_subject on legal_holds (subject_id) where released_at is null;

create table legal_hold_audit (
    id      bigint      generated always as identity primary key,
    hold_id uuid        not null references legal_holds (id),
    action  text        not null check (action in ('placed', 'released')),
    actor   text        not null,
    at      timestamptz not null,
    note    text        null
);

create table sweeps (
    id                  uuid        primary key,
    trigger             text        not null check (trigger in ('scheduled', 'on-demand')),
    requested_by        text        not null,
    as_of               timestamptz not null,
    started_at          timestamptz not null,
    completed_at        timestamptz null,
    state               text        not null check (state in ('running', 'completed')),
    cursor_subject      text        null,  -- the last subject whose batch committed: a resumed sweep starts after it
    subjects_total      bigint      not null,
    subjects_examined   bigint      not null default 0,
    batches             integer     not null default 0,
    items_erasure       bigint      not null default 0,
    items_anonymisation bigint      not null default 0,
    tokens_requested    bigint      not null default 0,
    subjects_held       bigint      not null default 0
);
-- One sweep at a time: two would race for the same subjects.
create unique index sweeps_one_running on sweeps ((true)) where state = 'running';
create index sweeps_started on sweeps (started_at desc);

-- What a sweep asked the vault to do, and what the vault answered: the sweep's proof.
create table sweep_items (
    id             uuid        primary key,
    sweep_id       uuid        not null references sweeps (id),
    subject_id     text        not null,
    category       text        null,   -- null: the whole subject
    action         text        not null check (action in ('erase', 'anonymise')),
    reason         text        not null,
    tokens         text[]      not null,
    requested_at   timestamptz not null,
    state          text        not null check (state in ('requested', 'done', 'refused')),
    completed_at   timestamptz null,
    certificate_id uuid        null
);
create index sweep_items_sweep on sweep_items (sweep_id, state);

create table deletion_certificates (
    id            uuid        primary key,
    subject_id    text        not null,
    sweep_item_id uuid        null,
    outcome       text        not null check (outcome in ('erased', 'anonymised')),
    reason        text        not null,
    categories    text[]      not null,
    token_count   integer     not null,
    completed_at  timestamptz not null,
    regions       text[]      not null,
    issued_at     timestamptz not null
);
create index deletion_certificates_subject on deletion_certificates (subject_id);

create table termination_plans (
    id                    uuid        primary key,
    ends_at               timestamptz not null,
    action                text        not null check (action in ('erase', 'anonymise')),
    reminder_days         integer[]   not null,
    announced_by          text        not null,
    announced_at          timestamptz not null,
    collection_stopped_at timestamptz null
);
-- The suite ends once: a second plan would contradict the first.
create unique index termination_plans_one on termination_plans ((true));

-- Notices to every subject go out in resumable batches, like sweeps.
create table termination_notice_runs (
    plan_id        uuid        not null references termination_plans (id),
    notice_type    text        not null,
    due_at         timestamptz not null,
    cursor_subject text        null,
    sent           bigint      not null default 0,
    completed_at   timestamptz null,
    primary key (plan_id, due_at)
);

-- Defaults that keep IWK-2.5 and INF-2.2; the privacy officer changes them through the API (each change a new version).
insert into retention_schedules (id, category, purpose, version, period_days, action, clock_trigger, changed_by, note, created_at) values
    ('00000000-0000-0000-0001-000000000001', 'Identity', '*', 1, 30,  'erase',     'account-cancellation', 'migration', 'kept one month after cancellation (IWK-2.5)', now()),
    ('00000000-0000-0000-0001-000000000002', 'Contact',  '*', 1, 30,  'erase',     'account-cancellation', 'migration', 'kept one month after cancellation (IWK-2.5)', now()),
    ('00000000-0000-0000-0001-000000000003', 'Device',   '*', 1, 365, 'anonymise', 'last-use',             'migration', 'a device unused for a year', now()),
    ('00000000-0000-0000-0001-000000000004', 'Usage',    '*', 1, 180, 'anonymise', 'collection',           'migration', 'usage records for service optimisation', now()),
    ('00000000-0000-0000-0001-000000000005', 'Location', '*', 1, 90,  'erase',     'collection',           'migration', 'location is kept briefly', now()),
    ('00000000-0000-0000-0001-000000000006', 'Delivery', '*', 1, 30,  'erase',     'purpose-fulfilled',    'migration', 'only for performing the contract (INF-1.3)', now());
