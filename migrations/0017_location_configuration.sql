-- The reader configuration a location overrides the account default with (Stripe's
-- `configuration_overrides`, a `tmc_…` id), mirrored so a location's and a reader's page know
-- which configuration is in force without asking Stripe first. NULL: the account default.
ALTER TABLE locations ADD COLUMN configuration_override TEXT;
