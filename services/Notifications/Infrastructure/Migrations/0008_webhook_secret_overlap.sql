-- Issue 20.3: a rotated webhook secret may keep signing next to the new one for a while the owner chooses
-- (rotate-secret?overlapMinutes=), so that a receiver can switch secrets without dropping a delivery. Sealed like the
-- current one; past previous_secret_until it signs nothing.
alter table webhook_endpoints
    add column previous_secret_sealed bytea,
    add column previous_secret_until timestamptz;
