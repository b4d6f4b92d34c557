-- The newest Stripe `created` (seconds) a payment row reflects: an event older than that with the
-- same state rank changes nothing, so late events never undo a newer answer.
ALTER TABLE payments ADD COLUMN stripe_seen BIGINT NOT NULL DEFAULT 0;

-- Keys that point-of-sale software uses on /api/v1. Only a hash of the secret is kept; `prefix`
-- is the start of the secret, shown so people can tell their keys apart.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'pos', 'payments')),
    secret_hash  TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_by   TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX api_keys_secret ON api_keys(secret_hash);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, created_at, id);

-- One row per Idempotency-Key a key has sent: the request it named and, once done, the answer
-- to replay. A row without a status is a request still being worked on.
CREATE TABLE api_idempotency (
    key_id          TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    operation_id    TEXT NOT NULL,
    status          BIGINT,
    response        TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created_at);

-- "Everything that happened to this payment / reader / key": the audit log by target.
CREATE INDEX audit_tenant_target_at ON audit_log(tenant_id, target_id, at, id);
