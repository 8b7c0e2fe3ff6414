create table incidents (
    id uuid primary key,
    title text not null,
    type text not null,
    place text not null,
    status text not null,
    aware_at timestamptz not null,
    declared_at timestamptz not null,
    declared_by text not null,
    grade text,
    assessed_grade text,
    grade_reasons text[] not null default '{}',
    grade_override_reason text,
    people_affected bigint not null default 0,
    categories text[] not null default '{}',
    economic_loss_cny numeric(20, 2) not null default 0,
    critical_system_outage_minutes integer not null default 0,
    report_required boolean not null default false,
    report_due_at timestamptz,
    escalated50_at timestamptz,
    escalated90_at timestamptz,
    first_report_at timestamptz,
    report_completed_at timestamptz,
    contained_at timestamptz,
    resolved_at timestamptz,
    final_summary_due_at timestamptz,
    final_summary_at timestamptz,
    reviewed_at timestamptz
);
create index incidents_open on incidents (status) where status not in ('Resolved', 'Reviewed');

-- The timeline is append-only: what happened during an incident is evidence.
create table timeline (
    id bigint generated always as identity primary key,
    incident_id uuid not null references incidents (id),
    at timestamptz not null,
    actor text not null,
    kind text not null,
    detail text not null
);
create index timeline_incident on timeline (incident_id, id);

create function timeline_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'the incident timeline is append-only';
end $$;
create trigger timeline_append_only before update or delete on timeline
    for each row execute function timeline_refuse_change();
create trigger timeline_no_truncate before truncate on timeline
    for each statement execute function timeline_refuse_change();

create table containment_tasks (
    id uuid primary key,
    incident_id uuid not null references incidents (id),
    position integer not null,
    title text not null,
    owner text not null,
    due_at timestamptz not null,
    done_at timestamptz,
    done_by text
);
create index containment_tasks_incident on containment_tasks (incident_id, position);

create table regulator_reports (
    id uuid primary key,
    incident_id uuid not null references incidents (id),
    kind text not null,
    filed_at timestamptz not null,
    filed_by text not null,
    complete boolean not null,
    content jsonb not null
);
create index regulator_reports_incident on regulator_reports (incident_id, filed_at);

-- One campaign per incident: a subject is never told twice about the same incident.
create table notice_campaigns (
    id uuid primary key,
    incident_id uuid not null unique references incidents (id),
    categories text[] not null,
    window_from timestamptz not null,
    window_to timestamptz not null,
    notice_type text not null,
    variables jsonb not null,
    status text not null,
    cursor text,
    batches_requested integer not null default 0,
    subjects_planned bigint not null default 0,
    started_at timestamptz not null,
    planned_at timestamptz,
    bulletin_id uuid,
    bulletin_reason text,
    bulletin_requested_at timestamptz
);
create index notice_campaigns_resolving on notice_campaigns (started_at) where status = 'resolving';

create table notice_batches (
    batch_id uuid primary key,
    campaign_id uuid not null references notice_campaigns (id),
    batch_number integer not null,
    subject_count integer not null,
    requested_at timestamptz not null,
    -- Outcomes are counted per batch: a million answers on one campaign row would queue on its lock.
    delivered integer not null default 0,
    failed integer not null default 0,
    unique (campaign_id, batch_number)
);

-- The plan: each subject of a campaign in exactly one batch (the primary key makes a second row impossible).
create table notice_plan (
    campaign_id uuid not null references notice_campaigns (id),
    subject_id text not null,
    batch_number integer not null,
    primary key (campaign_id, subject_id)
);
