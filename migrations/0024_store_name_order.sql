-- All stores' first page, sorted by name, is read store by store in name order within each
-- organisation and cut at a page, instead of sorting every store the user sees (5,000 in a large
-- franchise) on each request.
CREATE INDEX locations_tenant_lower_name ON locations (tenant_id, LOWER(display_name), id);
