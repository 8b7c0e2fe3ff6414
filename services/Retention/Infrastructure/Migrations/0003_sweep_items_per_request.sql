-- A sweep item is now one request to the vault (one RemovalsRequested): the subjects of a batch going as a whole, or
-- one category's due tokens of up to a message's worth of subjects, instead of one item per subject and category.
-- What the inventory said of each token is kept as parallel arrays (one value each, no row per token), so a refusal
-- can put the tokens back as they were. Items written before keep subject_id and swept.
alter table sweep_items alter column subject_id drop not null;
alter table sweep_items
    add column subject_ids      text[]        not null default '{}',  -- the subjects going as a whole (category null)
    add column token_subjects   text[]        not null default '{}',  -- whose each token is
    add column token_categories text[]        not null default '{}',  -- each token's category, for whole-subject items
    add column purposes         text[]        not null default '{}',
    add column stored_at        timestamptz[] not null default '{}',
    add column last_used_at     timestamptz[] not null default '{}',
    add column refused_subjects text[]        not null default '{}';  -- the vault's refusals (a hold it knows of)
-- Tokens are random: compressing them costs time and saves nothing.
alter table sweep_items alter column tokens set storage external;
