-- Sign-ups per client address, counted before the password is hashed so the limit holds
-- however many arrive at once; rows older than a day are pruned.
CREATE TABLE sign_up_attempts (
    id TEXT PRIMARY KEY,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_up_attempts_ip ON sign_up_attempts(ip, at);
