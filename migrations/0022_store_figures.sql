-- Figures kept beside the rows they summarise, so All stores and the transactions' totals read
-- a few rows per store or per day instead of every payment and reader. Each is changed in the
-- same transaction as the rows it counts (app/src/fleet/ssr/store_figures.rs for readers,
-- app/src/payments/ssr/payment_figures.rs for payments) and recomputed from them by the repair
-- pass (app/src/payments/ssr/figures_repair.rs). A missing location or reader is '' here,
-- because every column of a primary key must be NOT NULL on PostgreSQL.

-- Per store (location): its readers by status, with an offline alert and with a stuck action,
-- and its newest payment.
CREATE TABLE store_figures (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    location_id     TEXT NOT NULL,
    online          BIGINT NOT NULL DEFAULT 0,
    offline         BIGINT NOT NULL DEFAULT 0,
    busy            BIGINT NOT NULL DEFAULT 0,
    alerts          BIGINT NOT NULL DEFAULT 0,
    stuck           BIGINT NOT NULL DEFAULT 0,
    last_payment_id TEXT,
    last_payment_at BIGINT,
    PRIMARY KEY (tenant_id, location_id)
);

-- Per store, UTC day (Unix ms of its midnight) and currency: succeeded payments and their net
-- volume (received less refunded), as All stores shows them for today.
CREATE TABLE store_takings (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day         BIGINT NOT NULL,
    location_id TEXT NOT NULL,
    currency    TEXT NOT NULL,
    count       BIGINT NOT NULL DEFAULT 0,
    volume      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, location_id, currency)
);

-- Payments by every dimension the transactions' totals filter on: store, reader, UTC day,
-- currency and the facts the status filters test (status, any refund, a failure code, a reader
-- that gave up). The date filters are whole UTC days, so a day here is never cut in two.
CREATE TABLE payment_rollup (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day         BIGINT NOT NULL,
    location_id TEXT NOT NULL,
    reader_id   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL,
    refunded    BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    gave_up     BIGINT NOT NULL,
    count       BIGINT NOT NULL DEFAULT 0,
    received    BIGINT NOT NULL DEFAULT 0,
    refunded_amount BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, location_id, reader_id, currency, status, refunded, failed, gave_up)
);
CREATE INDEX payment_rollup_location ON payment_rollup (tenant_id, location_id, day);
CREATE INDEX payment_rollup_reader ON payment_rollup (tenant_id, reader_id, day);

-- Filtered pages of transactions, read newest first: a status with a store or a reader is read
-- in the list's order from one index (a status that matches nothing there is one probe instead
-- of a walk through every payment of the store), and so are refunds, which no status column
-- holds.
CREATE INDEX payments_tenant_location_status ON payments (tenant_id, location_id, status, created_at, id);
CREATE INDEX payments_tenant_reader_status ON payments (tenant_id, reader_id, status, created_at, id);
CREATE INDEX payments_tenant_refunded ON payments (tenant_id, created_at, id) WHERE amount_refunded > 0;
CREATE INDEX payments_tenant_location_refunded ON payments (tenant_id, location_id, created_at, id)
    WHERE amount_refunded > 0;
