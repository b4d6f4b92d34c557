-- Capturing and refunding money is an owner's or admin's call; an organisation may let its
-- operators do it too (1).
ALTER TABLE tenants ADD COLUMN operators_may_refund BIGINT NOT NULL DEFAULT 0;
