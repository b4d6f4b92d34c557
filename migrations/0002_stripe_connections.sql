-- A tenant's Stripe connections: the built-in simulator, its own secret/restricted key, or a
-- connected account under the platform key. Secrets are sealed (XChaCha20-Poly1305 under
-- FLEET_MASTER_KEY) and never leave the server; key_hint is what pages show (sk_test_…abcd).

CREATE TABLE stripe_connections (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind                TEXT NOT NULL CHECK (kind IN ('simulator', 'key', 'connect')),
    name                TEXT NOT NULL,
    account_id          TEXT NOT NULL,
    account_name        TEXT,
    livemode            BIGINT NOT NULL DEFAULT 0,
    secret_key          TEXT,
    key_hint            TEXT,
    webhook_secret      TEXT,
    webhook_endpoint_id TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX stripe_connections_tenant ON stripe_connections(tenant_id, created_at);
