-- An organisation holds a connected account only once it has proven control of it: the
-- platform created the account for it and its holder onboarded through us ('onboarding'), its
-- holder granted access with Stripe Connect OAuth ('oauth'), or a platform operator assigned
-- it from the command line ('operator'). Claims made before (by typing an id) keep NULL and
-- are shown as unverified.
ALTER TABLE stripe_connections ADD COLUMN proof TEXT;
-- Whether the holder of a connected account finished Stripe's hosted onboarding.
ALTER TABLE stripe_connections ADD COLUMN onboarded BIGINT NOT NULL DEFAULT 1;

-- A Connect OAuth consent in progress: the `state` sent to Stripe, bound to the member who
-- asked and the organisation it is for, used once and only for a few minutes.
CREATE TABLE connect_flows (
    state      TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX connect_flows_user ON connect_flows(user_id, created_at);
