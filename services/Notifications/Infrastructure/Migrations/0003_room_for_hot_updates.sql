-- Each delivery is updated twice after its insert (claimed with a lease, then finished), and each send attempt once (its
-- result). Freshly inserted pages are full, so those updates wrote a new row version on another page and a new entry
-- in every index. With free room on the page, the lease update and the attempt's result (no indexed column changes)
-- become heap-only (HOT) updates: no index writes. Applies to pages written from now on.
alter table deliveries set (fillfactor = 50);
alter table send_attempts set (fillfactor = 50);
