-- Issue 21.6: an incident names who it affects explicitly. Besides a window (categories stored or changed between two
-- times) a campaign may name subjects one by one, a category across all time (a leaked backup has no window), or
-- everyone the vault holds. Campaigns started before this were all windows.
alter table notice_campaigns add column scope text not null default 'window';
alter table notice_campaigns alter column scope drop default;
alter table notice_campaigns alter column window_from drop not null;
alter table notice_campaigns alter column window_to drop not null;
alter table notice_campaigns add column subjects_named integer not null default 0;
alter table notice_campaigns add column subjects_not_found bigint not null default 0;
alter table notice_campaigns add constraint notice_campaigns_scope check (
    (scope = 'window' and window_from is not null and window_to is not null and cardinality(categories) > 0)
    or (scope = 'category' and window_from is null and window_to is null and cardinality(categories) > 0)
    or (scope in ('subjects', 'everyone') and window_from is null and window_to is null and cardinality(categories) = 0));

-- A subjects scope's list, paged by id by the planner (the primary key serves the cursor): each subject named once.
create table notice_named_subjects (
    campaign_id uuid not null references notice_campaigns (id),
    subject_id text not null,
    primary key (campaign_id, subject_id)
);
