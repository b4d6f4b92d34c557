-- Alert notifications: endpoints an owner or admin adds (a URL, the event types it wants, a
-- signing secret sealed under the master key) and each delivery to one of them, retried with
-- back-off for a day. A delivery is sent by whichever instance holds its lease.
CREATE TABLE notification_endpoints (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    -- Event types, separated by spaces.
    events      TEXT NOT NULL,
    secret      TEXT NOT NULL,
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX notification_endpoints_tenant ON notification_endpoints(tenant_id, created_at);

CREATE TABLE notification_deliveries (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    endpoint_id     TEXT NOT NULL REFERENCES notification_endpoints(id) ON DELETE CASCADE,
    -- The event's id, the same in every delivery of it (receivers deduplicate on it).
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_holder    TEXT,
    lease_until     BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX notification_deliveries_due ON notification_deliveries(status, next_attempt_at);
CREATE INDEX notification_deliveries_endpoint
    ON notification_deliveries(tenant_id, endpoint_id, created_at);

-- Conditions found by looking (a webhook event that stopped being retried, a run of declines
-- at a location), each told once.
CREATE TABLE notification_marks (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    mark      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, mark)
);
