-- The Readers list is read in its default order (lower-cased label, then id) and offers the
-- device types present: with these the first page of a large fleet is read in index order,
-- instead of sorting every reader of the organisation on each request.
CREATE INDEX readers_tenant_lower_label ON readers (tenant_id, LOWER(label), id);
CREATE INDEX readers_tenant_device ON readers (tenant_id, device_type);
