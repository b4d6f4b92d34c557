//! Which locations a caller may see. Operators see only the locations they were granted, one
//! by one or through a store group; every other role sees the whole tenant. Scoped queries bind the tenant as `$1`, the user as
//! `$2` and "sees everything" as `$3`, then add [`location_clause`] for their location column.

use super::caller::Caller;
use crate::model::Role;

/// `1` when the caller sees every location of the tenant.
pub fn sees_all(caller: &Caller) -> i64 {
    i64::from(caller.role != Role::Operator)
}

/// The SQL condition limiting `column` (a location id) to what the caller may see.
pub fn location_clause(column: &str) -> String {
    format!(
        "($3 = 1 OR {column} IN (SELECT g.location_id FROM location_grants g
          WHERE g.tenant_id = $1 AND g.user_id = $2)
          OR {column} IN (SELECT gl.location_id FROM store_group_locations gl
          JOIN group_grants gg ON gg.group_id = gl.group_id
          WHERE gg.tenant_id = $1 AND gg.user_id = $2))"
    )
}

/// `text` for a LIKE pattern with LIKE's own wildcards taken literally (with a backslash escape).
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// For queries across the user's organisations (user id bound as `$1`, memberships joined):
/// the condition that the member, with the role in `role_column`, may see `location_column`.
pub fn member_sees(role_column: &str, tenant_column: &str, location_column: &str) -> String {
    format!(
        "({role_column} <> 'operator' OR {location_column} IN (SELECT g.location_id
          FROM location_grants g WHERE g.tenant_id = {tenant_column} AND g.user_id = $1)
          OR {location_column} IN (SELECT gl.location_id FROM store_group_locations gl
          JOIN group_grants gg ON gg.group_id = gl.group_id
          WHERE gg.tenant_id = {tenant_column} AND gg.user_id = $1))"
    )
}
