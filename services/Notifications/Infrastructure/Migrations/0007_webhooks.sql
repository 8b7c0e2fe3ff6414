-- Issue 20.3: webhooks. A product backend (or the privacy officer) registers an endpoint and the events it wants; each
-- matching event becomes one webhook_deliveries row, written in the transaction that claims the event in the inbox, and
-- is POSTed, signed, until the endpoint answers 2xx. A delivery is never deleted for failing: after its last attempt it
-- is 'dead', kept, and can be queued again.
create table webhook_endpoints (
    endpoint_id uuid primary key,
    -- The caller id (ClaimsPrincipal.CallerId) of whoever registered it: its owner.
    owner text not null,
    url text not null,
    events text[] not null,
    -- The signing secret, AES-GCM under the configured key (nonce 12 || tag 16 || ciphertext), the endpoint id as
    -- associated data: recoverable to sign, never stored in plain text.
    secret_sealed bytea not null,
    created_at timestamptz not null,
    secret_rotated_at timestamptz,
    -- Health, for GET /v1/webhooks: a status code or an error type, never a body.
    last_delivered_at timestamptz,
    last_failure_at timestamptz,
    last_failure_reason text,
    consecutive_failures integer not null default 0
);

create index webhook_endpoints_owner on webhook_endpoints (owner);

create table webhook_deliveries (
    -- The event id the receiver sees (PrivacySuite-Webhook-Id and the payload's id): derived from the endpoint and the
    -- event, so the same event published twice is one delivery, and every retry carries the same id.
    delivery_id uuid primary key,
    endpoint_id uuid not null references webhook_endpoints (endpoint_id) on delete cascade,
    event_type text not null,
    -- The JSON body, fixed when the event arrived: ids and times only.
    payload text not null,
    -- 'pending', 'delivered' or 'dead'.
    status text not null,
    attempts integer not null default 0,
    -- When a pending delivery is due; while one is being sent, the end of its sender's lease.
    next_attempt_at timestamptz not null,
    created_at timestamptz not null,
    delivered_at timestamptz,
    last_attempt_at timestamptz,
    last_failure_reason text
);

-- The sender's scan: pending deliveries by when they are due.
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, status);
