-- Issue 21.5: pages to the on-call person on the rota, sent again every few minutes until someone acknowledges. A page is
-- known by what it is about (its id is derived from kind and reference), so raising it twice pages once. Each round is
-- a notice request of type on-call-page with a delivery per person paged (recipient 'on-call/{handle}'); the
-- responders' contacts are configuration, never stored here.
create table on_call_pages (
    page_id uuid primary key,
    kind text not null,
    reference text not null,
    what_zh_cn text not null,
    what_en text not null,
    raised_at timestamptz not null,
    rounds integer not null,
    next_round_at timestamptz not null,
    acknowledged_at timestamptz,
    acknowledged_by text
);

-- The repeater's scan: pages nobody acknowledged, by when their next round is due.
create index on_call_pages_due on on_call_pages (next_round_at) where acknowledged_at is null;
