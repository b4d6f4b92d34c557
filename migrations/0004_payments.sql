-- Payments mirror PaymentIntents (card_present) taken on the tenant's readers: Stripe is the
-- truth, these rows follow its answers and webhooks and never move backwards (state_rank).
-- Amounts are in the currency's minor unit; times are Unix ms except stripe_created (seconds).

ALTER TABLE stripe_connections ADD COLUMN default_currency TEXT;

-- What applying a stored webhook event did: `applied`, `ignored` (not ours to act on) or
-- `failed: …`; events still unapplied are retried by the server's queue worker.
ALTER TABLE webhook_events ADD COLUMN outcome TEXT;
ALTER TABLE webhook_events ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX webhook_events_pending ON webhook_events(processed_at, received_at);

CREATE TABLE payments (
    connection_id     TEXT NOT NULL REFERENCES stripe_connections(id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    reader_id         TEXT,
    location_id       TEXT,
    amount            BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    description       TEXT,
    capture_method    TEXT NOT NULL,
    status            TEXT NOT NULL,
    state_rank        BIGINT NOT NULL,
    amount_capturable BIGINT NOT NULL DEFAULT 0,
    amount_received   BIGINT NOT NULL DEFAULT 0,
    amount_refunded   BIGINT NOT NULL DEFAULT 0,
    card_brand        TEXT,
    card_last4        TEXT,
    read_method       TEXT,
    failure_code      TEXT,
    failure_message   TEXT,
    started_by        TEXT,
    operation_id      TEXT,
    stripe_created    BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (connection_id, id)
);
CREATE UNIQUE INDEX payments_tenant_id ON payments(tenant_id, id);
CREATE INDEX payments_tenant_created ON payments(tenant_id, created_at, id);
CREATE INDEX payments_tenant_reader ON payments(tenant_id, reader_id, created_at, id);
CREATE INDEX payments_tenant_location ON payments(tenant_id, location_id, created_at, id);
CREATE INDEX payments_tenant_status ON payments(tenant_id, status, created_at, id);
CREATE INDEX payments_tenant_last4 ON payments(tenant_id, card_last4, created_at, id);

-- What happened to a payment, from us (who started, captured, refunded) and from Stripe.
CREATE TABLE payment_timeline (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    payment_id TEXT NOT NULL,
    at         BIGINT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('us', 'stripe')),
    what       TEXT NOT NULL,
    detail     TEXT
);
CREATE INDEX payment_timeline_payment ON payment_timeline(tenant_id, payment_id, at);
