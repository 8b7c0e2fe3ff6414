-- A request's progress is counted where its deliveries finish (the same transaction), so that reading it does not
-- count a campaign's deliveries: that was a scan of 100,000 rows for every progress poll.
alter table notice_requests
    add column delivered_count integer not null default 0,
    add column failed_count    integer not null default 0;

update notice_requests r
set delivered_count = c.delivered, failed_count = c.failed
from (select request_id,
             count(*) filter (where status = 'delivered') as delivered,
             count(*) filter (where status = 'failed')    as failed
      from deliveries group by request_id) c
where c.request_id = r.request_id;
