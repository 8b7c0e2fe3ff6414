-- Issue 21.5: besides the 50% and 90% marks, the regulator clock escalates once when the deadline passes with no report
-- filed; each escalation also pages the on-call person through the notification service.
alter table incidents add column if not exists escalated_overdue_at timestamptz;
