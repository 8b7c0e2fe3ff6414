-- The vault: envelope-encrypted personal data, tokens, consent decisions, the hash-chained access log, subject rights.
-- No column holds personal data in clear: values are AES-256-GCM ciphertext, lookups are keyed hashes.

create table subjects (
    subject_id          text        primary key,
    -- The subject's data key, AES-GCM-wrapped by key-encryption key kek_version; null once erased (crypto-shredding).
    wrapped_key         bytea       null,
    kek_version         integer     not null,
    -- Incremented for each new data key of the subject (a key is replaced when its nonce budget is spent).
    key_generation      integer     not null default 1,
    -- Nonces used under the current data key: the next encryption takes nonces_used + 1 (counter construction).
    nonces_used         bigint      not null default 0,
    is_minor            boolean     not null default false,
    guardian_subject_id text        null,
    created_at          timestamptz not null,
    erased_at           timestamptz null
);

create index subjects_kek_version on subjects (kek_version) where wrapped_key is not null;

create table personal_values (
    token          text        primary key,
    subject_id     text        not null references subjects (subject_id),
    category       text        not null,
    field          text        not null,
    source         text        not null check (source in ('provided', 'collected')),
    legal_basis    text        not null,
    version        integer     not null,
    key_generation integer     not null,
    nonce          bytea       not null,
    ciphertext     bytea       not null,
    -- Keyed HMAC of the normalised e-mail or phone, for equality search without the value.
    lookup_token   text        null,
    stored_at      timestamptz not null,
    updated_at     timestamptz not null,
    unique (subject_id, category, field)
);

create index personal_values_lookup on personal_values (lookup_token) where lookup_token is not null;
create index personal_values_category_stored on personal_values (category, stored_at, subject_id);

create table consent_decisions (
    subject_id     text        not null,
    purpose        text        not null,
    allowed        boolean     not null,
    policy_version text        null,
    origin         text        not null check (origin in ('event', 'check')),
    decided_at     timestamptz not null,
    primary key (subject_id, purpose)
);

create table processors (
    processor_id  text        primary key,
    name          text        not null,
    purposes      text[]      not null,
    registered_at timestamptz not null
);

create table approvals (
    approval_id uuid        primary key,
    subject_id  text        not null,
    category    text        not null,
    purpose     text        not null,
    accessor    text        not null,
    granted_by  text        not null,
    expires_at  timestamptz not null,
    used_at     timestamptz null
);

create table legal_holds (
    hold_id     uuid        primary key,
    subject_id  text        null,
    category    text        null,
    reason_code text        not null,
    placed_at   timestamptz not null,
    released_at timestamptz null
);

create table verifications (
    verification_id uuid        primary key,
    subject_id      text        not null,
    request         text        not null,
    code_hash       text        not null,
    expires_at      timestamptz not null,
    attempts        integer     not null default 0,
    used_at         timestamptz null
);

create table deletion_certificates (
    certificate_id uuid        primary key,
    subject_id     text        not null,
    reason         text        not null,
    values_shredded integer    not null,
    erased_at      timestamptz not null
);

create table transfer_bases (
    basis_id            uuid        primary key,
    destination_country text        not null,
    recipient           text        not null,
    mechanism           text        not null,
    reference           text        not null,
    recorded_at         timestamptz not null,
    unique (destination_country, recipient)
);

-- Append-only and hash-chained: each entry's hash covers its fields and the previous entry's hash, keyed with a
-- secret from the key folder, so an edited, removed or re-ordered entry breaks the chain at that position.
create table access_log (
    position      bigint      primary key,
    at            timestamptz not null,
    action        text        not null,
    outcome       text        not null,
    subject_id    text        null,
    accessor      text        not null,
    purpose       text        null,
    category      text        null,
    processor_id  text        null,
    detail        text        null,
    previous_hash text        not null,
    hash          text        not null
);

create index access_log_subject on access_log (subject_id, position);
create index access_log_accessor on access_log (accessor, position);
