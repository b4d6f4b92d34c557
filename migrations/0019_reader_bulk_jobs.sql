-- Bulk work on the fleet: a job registers many readers (rows of a CSV) or relabels, deletes or
-- cancels the action of many readers (one row per reader). Rows are processed in the background
-- at a bounded pace, each keeping its own outcome, so a failing row never stops the others and
-- a job survives the instance that started it (a lease names the instance working on it).
CREATE TABLE reader_bulk_jobs (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- register, relabel, delete or cancel_action.
    kind          TEXT NOT NULL,
    -- running or done.
    status        TEXT NOT NULL,
    pattern       TEXT,
    actor_user_id TEXT,
    actor_email   TEXT,
    actor_ip      TEXT,
    actor_agent   TEXT,
    total         BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    lease_holder  TEXT,
    lease_until   BIGINT
);
-- One running job per organisation, whatever races between instances.
CREATE UNIQUE INDEX reader_bulk_jobs_one_running ON reader_bulk_jobs(tenant_id) WHERE status = 'running';
CREATE INDEX reader_bulk_jobs_tenant ON reader_bulk_jobs(tenant_id, created_at);

CREATE TABLE reader_bulk_rows (
    job_id        TEXT NOT NULL REFERENCES reader_bulk_jobs(id) ON DELETE CASCADE,
    row_no        BIGINT NOT NULL,
    tenant_id     TEXT NOT NULL,
    -- What the row is about, as shown: the registration code, or the reader's label then.
    subject       TEXT NOT NULL,
    -- What the row asks: a registration code, label and location, or a reader and its new label.
    registration_code TEXT,
    code_key      TEXT,
    label         TEXT,
    location_id   TEXT,
    location_name TEXT,
    connection_id TEXT,
    reader_id     TEXT,
    -- pending, done, already, refused or failed.
    status        TEXT NOT NULL,
    message       TEXT,
    attempts      BIGINT NOT NULL DEFAULT 0,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (job_id, row_no)
);

-- Registration codes this organisation already used and the reader each made, so a file sent
-- again registers nothing twice (simulated codes are reusable: their key adds label and location).
CREATE TABLE reader_registration_codes (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    code_key      TEXT NOT NULL,
    reader_id     TEXT NOT NULL,
    label         TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, code_key)
);
