-- What the batch consumer did: one row per note and tag, with how many times it was applied.
create table note_tags (
    note_id uuid    not null,
    tag     text    not null,
    applied integer not null,
    primary key (note_id, tag)
);
