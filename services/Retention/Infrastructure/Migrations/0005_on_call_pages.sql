-- Issue 21.5: a legal hold past its review date, and removals the vault has not answered for long, page the on-call
-- person (OnCallPageRequested). Each is raised once: these record when.
alter table legal_holds add column review_paged_at timestamptz null;
alter table sweep_items add column stuck_paged_at timestamptz null;

-- The worker's scans, every few seconds: active holds by review date, unanswered requests by age.
create index legal_holds_review_due on legal_holds (review_at) where released_at is null and review_paged_at is null;
create index sweep_items_unanswered on sweep_items (requested_at) where state = 'requested' and stuck_paged_at is null;
