-- Policies, their versions, the purpose catalogue, subjects, consents with append-only history, receipt keys.
create table policies (
    policy_id       text        primary key,
    controller      text        not null,
    -- PIPL Art. 28/31: never below 14; the policies ask for 18.
    guardian_age    integer     not null default 18 check (guardian_age between 14 and 21),
    current_version text        not null
);

create table policy_versions (
    policy_id        text        not null references policies (policy_id),
    version          text        not null,
    sequence         bigint      generated always as identity,
    changed_purposes text[]      not null,
    published_at     timestamptz not null,
    primary key (policy_id, version),
    unique (sequence)
);

create table purposes (
    code                   text        primary key,
    policy_id              text        not null references policies (policy_id),
    name_en                text        not null,
    name_zh                text        not null,
    essential              boolean     not null,
    default_basis          text        not null,
    data_categories        text[]      not null,
    third_party_recipient  text        null,
    separate_consent       boolean     not null,
    -- Consent given under an earlier version than this one no longer counts (INF-4.2, PIPL Art. 14).
    changed_in_version     text        not null,
    changed_in_sequence    bigint      not null
);

create table subjects (
    subject_id    text        primary key,
    policy_id     text        not null references policies (policy_id),
    birth_date    date        null,
    age_band      text        null check (age_band in ('under-14', '14-17', '18-plus')),
    status        text        not null check (status in ('active', 'cancelled')),
    registered_at timestamptz not null,
    cancelled_at  timestamptz null,
    check (birth_date is not null or age_band is not null)
);

-- The current state per subject and purpose; consent_history keeps every change.
create table consents (
    subject_id          text        not null references subjects (subject_id),
    purpose             text        not null references purposes (code),
    state               text        not null check (state in ('granted', 'withdrawn')),
    basis               text        not null,
    policy_version      text        not null,
    policy_sequence     bigint      not null,
    collection_method   text        not null,
    jurisdiction        text        not null,
    guardian_id         text        null,
    guardian_verification text      null,
    basis_reference     text        null,
    changed_at          timestamptz not null,
    receipt_id          uuid        null,
    primary key (subject_id, purpose)
);

create table consent_history (
    id                  bigint      generated always as identity primary key,
    subject_id          text        not null,
    purpose             text        not null,
    action              text        not null,
    basis               text        not null,
    policy_version      text        null,
    collection_method   text        null,
    jurisdiction        text        null,
    guardian_id         text        null,
    guardian_verification text      null,
    basis_reference     text        null,
    actor               text        not null,
    at                  timestamptz not null,
    receipt_id          uuid        null,
    receipt             text        null
);

create index consent_history_subject on consent_history (subject_id, id);

-- Append-only: history rows are evidence, so the database itself refuses to change or remove them.
create function consent_history_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'consent_history is append-only';
end $$;

create trigger consent_history_no_update before update or delete on consent_history
    for each row execute function consent_history_append_only();

-- Non-consent legal bases (IWK-1.3) are audited: who recorded which basis, for whom, with which case reference.
create table legal_basis_audit (
    id           bigint      generated always as identity primary key,
    subject_id   text        not null,
    purpose      text        not null,
    basis        text        not null,
    reference    text        not null,
    actor        text        not null,
    at           timestamptz not null
);

create trigger legal_basis_audit_no_update before update or delete on legal_basis_audit
    for each row execute function consent_history_append_only();

-- The receipt signing key: in the service's database so that it survives restarts and replicates to the standby.
create table receipt_keys (
    key_id      text        primary key,
    private_key bytea       not null,
    public_jwk  text        not null,
    created_at  timestamptz not null
);
