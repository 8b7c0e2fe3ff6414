-- Idempotency-Key on the vault's writes (issue 20.2): a product backend that retries a store whose answer it lost gets
-- the first answer again instead of a second write. A key is the caller's own (two callers may use the same key), is
-- kept with the write in the write's transaction, and expires: after expires_at the key may be used again.
-- request_hash is an HMAC (key folder's mac.key) of the request, never the request itself: no personal data here.
create table idempotency_keys (
    caller          text        not null,
    idempotency_key text        not null,
    operation       text        not null,
    request_hash    text        not null,
    status          integer     not null,
    response        text        not null,
    created_at      timestamptz not null,
    expires_at      timestamptz not null,
    primary key (caller, idempotency_key)
);

-- The expired keys a write clears on its way.
create index idempotency_keys_expires_at on idempotency_keys (expires_at);
