-- A Stripe account the platform is creating for an organisation, held from before the call to
-- Stripe until the connection is stored: the cap on accounts not yet onboarded counts these
-- too, so parallel requests cannot each pass the count and create more real accounts than it
-- allows. Once Stripe has answered, `account_id` names the account, and the reservation stops
-- counting when its connection is stored. A row left by a crash is pruned after a few minutes.
CREATE TABLE account_creations (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    account_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX account_creations_tenant ON account_creations(tenant_id, created_at);
