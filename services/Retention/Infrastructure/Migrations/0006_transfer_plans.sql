-- Issue 21.2 (INF-5.3): personal information moves to another controller in a merger, acquisition or asset transfer.
-- The plan names the receiver, the date and the categories; every subject with data of those categories is told before
-- the date (notices in resumable batches, like termination notices), the receiver's acceptance of the policy's
-- obligations is recorded, and the transfer cannot be marked complete before the date or before every notice went out.
create table transfer_plans (
    id                      uuid        primary key,
    recipient               text        not null,
    recipient_contact       text        not null,
    transfer_date           date        not null,
    categories              text[]      not null check (cardinality(categories) > 0),
    purposes                text        not null,
    obligations_accepted_by text        not null,
    agreement_reference     text        not null,
    planned_by              text        not null,
    planned_at              timestamptz not null,
    cursor_subject          text        null,  -- the last subject whose notice committed: the next batch starts after it
    subjects_notified       bigint      not null default 0,
    notices_finished_at     timestamptz null,
    completed_at            timestamptz null,
    completed_by            text        null
);

-- The worker's scan for plans whose notices are not all out.
create index transfer_plans_notifying on transfer_plans (planned_at) where notices_finished_at is null;
