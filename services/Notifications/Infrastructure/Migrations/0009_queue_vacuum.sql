-- The delivery queue is a queue table: a campaign updates thousands of deliveries a second, and each one's last update
-- (status leaves 'pending', an indexed column) cannot be heap-only. Until a vacuum, deliveries_due keeps an entry for
-- every delivered row, and every claim steps over them. At PostgreSQL's default (a vacuum once a fifth of the table is
-- dead, looked for once a minute) the campaign's PostgreSQL CPU per e-mail doubled over 100,000 e-mails (85 to 169 µs,
-- docs/benchmarks.md, 2026-12-08). Vacuum these tables after a fixed number of changed rows, whatever their size.
alter table deliveries set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
alter table send_attempts set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);
