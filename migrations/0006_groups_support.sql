-- Store groups (a region, a franchisee): an owner or admin groups locations, and granting an
-- operator a group grants every location in it, now and as the group changes.
CREATE TABLE store_groups (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX store_groups_tenant_name ON store_groups(tenant_id, name);

CREATE TABLE store_group_locations (
    group_id    TEXT NOT NULL REFERENCES store_groups(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    location_id TEXT NOT NULL,
    PRIMARY KEY (group_id, location_id)
);
CREATE INDEX store_group_locations_location ON store_group_locations(tenant_id, location_id);

CREATE TABLE group_grants (
    group_id   TEXT NOT NULL REFERENCES store_groups(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_grants_user ON group_grants(tenant_id, user_id);

-- Time-limited, read-only access for a named support user: while it lasts the user sees the
-- tenant as an auditor (without being a member) and every page they open is audited.
CREATE TABLE support_grants (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    granted_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    reason     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX support_grants_user ON support_grants(user_id, expires_at);
CREATE INDEX support_grants_tenant ON support_grants(tenant_id, created_at);
