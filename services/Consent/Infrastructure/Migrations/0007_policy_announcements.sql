-- Issue 21.1 (INF-7.1, IWK-0.1): a published version tells every subject of its policy by itself. The publisher gives
-- the announcement (when it takes effect, what changed in zh-CN and en, where to read it); the consent service pages
-- through the policy's active subjects and asks the notification service for the notice, a page at a time, keeping
-- its place (announced_through) so that a restart resumes and nobody is told twice.
-- Versions published before this have no announcement and are not announced after the fact.
alter table policy_versions
    add column effective_date     date        null,
    add column summary_en         text        null,
    add column summary_zh_cn      text        null,
    add column review_url         text        null,
    add column announced_through  text        null,
    add column announced_pages    integer     not null default 0,
    add column announced_subjects integer     not null default 0,
    add column announced_at       timestamptz null;

update policy_versions set announced_at = published_at;

create index policy_versions_announcing on policy_versions (sequence) where announced_at is null;
create index subjects_by_policy on subjects (policy_id, subject_id) where status = 'active';
