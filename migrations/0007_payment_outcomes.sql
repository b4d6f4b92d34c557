-- A till is only told what is known about its own payment. Readers remember which
-- PaymentIntent their action names and when that view of the action was true, so a late
-- snapshot about an older payment cannot override a newer one; payments keep the facts a
-- reader reported about them, and a reader failure confirmed with Stripe.
ALTER TABLE readers ADD COLUMN action_payment TEXT;
ALTER TABLE readers ADD COLUMN action_at BIGINT NOT NULL DEFAULT 0;

-- in_progress, succeeded or failed: the newest status of a reader action naming this payment.
ALTER TABLE payments ADD COLUMN reader_action TEXT;
ALTER TABLE payments ADD COLUMN reader_failure TEXT;
-- When a reader signal suggested the reader gave up on this payment (its action failed, or a
-- newer snapshot stopped naming it while it was being collected): a doubt that a read from
-- Stripe settles before anyone is told the payment failed.
ALTER TABLE payments ADD COLUMN reader_doubt_at BIGINT;
-- Stripe confirmed the reader gave up on this payment (why, in words): final.
ALTER TABLE payments ADD COLUMN gave_up TEXT;
CREATE INDEX payments_doubtful ON payments(connection_id, reader_doubt_at);

-- A running idempotent request proves its instance is alive; a silent one is taken over.
ALTER TABLE api_idempotency ADD COLUMN heartbeat_at BIGINT;
