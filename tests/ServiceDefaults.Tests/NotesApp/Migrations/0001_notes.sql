create table notes (
    id         uuid primary key,
    text       text        not null,
    created_at timestamptz not null
);

-- What the consumer did: one row per note, with how many times its effect was applied.
create table note_effects (
    note_id uuid primary key,
    applied integer not null
);
