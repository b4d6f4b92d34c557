-- Stuck actions: a reader action still in_progress after the organisation's threshold is an
-- alert like an offline reader. stuck_since is set while that alert is raised.
ALTER TABLE tenants ADD COLUMN stuck_action_minutes BIGINT NOT NULL DEFAULT 5;
ALTER TABLE readers ADD COLUMN stuck_since BIGINT;
