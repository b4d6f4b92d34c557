-- A new secret (an API key, a notification endpoint's signing secret) made by a form sent before
-- hydration: the answer to such a post is a redirect, so the secret waits here, sealed, for the
-- page the redirect opens. It is taken once, by the same person in the same organisation, and
-- lives five minutes at most.
CREATE TABLE secret_reveals (
    token_hash  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    sealed      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX secret_reveals_expiry ON secret_reveals(expires_at);
