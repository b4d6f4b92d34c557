-- Removing a member used to leave their location and store-group grants behind, and a later
-- invite brought them back. Removal now deletes them; this clears those already orphaned.
DELETE FROM location_grants
WHERE NOT EXISTS (
    SELECT 1 FROM memberships m
    WHERE m.tenant_id = location_grants.tenant_id AND m.user_id = location_grants.user_id
);
DELETE FROM group_grants
WHERE NOT EXISTS (
    SELECT 1 FROM memberships m
    WHERE m.tenant_id = group_grants.tenant_id AND m.user_id = group_grants.user_id
);
