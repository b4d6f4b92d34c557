-- Locations and readers mirror Stripe (Stripe is the source of truth; these rows are a cache
-- with sync times plus our own data: status history, offline alerts, operator grants).
-- Ids are Stripe's; one tenant holds an account once, so (tenant_id, id) is unique too.

ALTER TABLE tenants ADD COLUMN offline_alert_minutes BIGINT NOT NULL DEFAULT 5;

ALTER TABLE stripe_connections ADD COLUMN synced_at BIGINT;
ALTER TABLE stripe_connections ADD COLUMN sync_error TEXT;

CREATE TABLE locations (
    connection_id TEXT NOT NULL REFERENCES stripe_connections(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    display_name  TEXT NOT NULL,
    line1         TEXT NOT NULL,
    line2         TEXT,
    city          TEXT,
    state         TEXT,
    postal_code   TEXT,
    country       TEXT NOT NULL,
    synced_at     BIGINT NOT NULL,
    PRIMARY KEY (connection_id, id)
);
CREATE UNIQUE INDEX locations_tenant_id ON locations(tenant_id, id);
CREATE INDEX locations_tenant_name ON locations(tenant_id, display_name);

CREATE TABLE readers (
    connection_id  TEXT NOT NULL REFERENCES stripe_connections(id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    label          TEXT NOT NULL,
    location_id    TEXT,
    device_type    TEXT NOT NULL,
    serial_number  TEXT NOT NULL,
    sw_version     TEXT,
    ip_address     TEXT,
    status         TEXT NOT NULL CHECK (status IN ('online', 'offline')),
    last_seen_at   BIGINT,
    -- When our records last saw the status change (or first saw the reader).
    status_since   BIGINT NOT NULL,
    action_type    TEXT,
    action_status  TEXT,
    action_detail  TEXT,
    -- Set while an offline alert is raised.
    alert_since    BIGINT,
    synced_at      BIGINT NOT NULL,
    PRIMARY KEY (connection_id, id)
);
CREATE UNIQUE INDEX readers_tenant_id ON readers(tenant_id, id);
CREATE INDEX readers_tenant_location ON readers(tenant_id, location_id);
CREATE INDEX readers_tenant_status ON readers(tenant_id, status);
CREATE INDEX readers_tenant_label ON readers(tenant_id, label);

-- Online/offline transitions, kept after a reader is deleted for the audit trail.
CREATE TABLE reader_status_events (
    id        TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    reader_id TEXT NOT NULL,
    status    TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX reader_status_events_reader ON reader_status_events(tenant_id, reader_id, at);

-- Which locations an operator may see and use; other roles see every location.
CREATE TABLE location_grants (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    location_id TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, location_id)
);

-- One instance syncs a connection at a time: the holder renews before expires_at, and any
-- instance may take a lease that has expired (its holder died or stalled).
CREATE TABLE sync_leases (
    connection_id TEXT PRIMARY KEY REFERENCES stripe_connections(id) ON DELETE CASCADE,
    holder        TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);

-- Every verified webhook event, stored before it is acknowledged; unique per connection.
CREATE TABLE webhook_events (
    connection_id TEXT NOT NULL REFERENCES stripe_connections(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    processed_at  BIGINT,
    PRIMARY KEY (connection_id, id)
);
CREATE INDEX webhook_events_tenant ON webhook_events(tenant_id, received_at);
