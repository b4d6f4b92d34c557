//! Which locations a caller may see. Operators see only the locations they were granted, one
//! by one or through a store group; every other role sees the whole tenant. A scoped query adds
//! [`LocationScope::clause`] for its tenant and location columns, which binds its own values; a
//! query across all the user's organisations adds [`MemberScope::clause`] the same way.

use super::binds::Binds;
use super::caller::Caller;
use crate::model::Role;

/// The locations one caller may see, as a SQL condition.
#[derive(Debug, Clone, Copy)]
pub struct LocationScope<'c> {
    tenant_id: &'c str,
    user_id: &'c str,
    sees_all: bool,
}

impl<'c> LocationScope<'c> {
    pub fn for_caller(caller: &'c Caller) -> Self {
        LocationScope {
            tenant_id: &caller.tenant_id,
            user_id: caller.principal.id(),
            sees_all: caller.role != Role::Operator,
        }
    }

    /// Whether the caller sees every location of the tenant: then what they see depends on
    /// the tenant alone, and may be shared with the tenant's other such callers.
    pub fn sees_whole_tenant(&self) -> bool {
        self.sees_all
    }

    /// The condition limiting rows to the caller's tenant (`tenant_column`) and to the
    /// locations it may see (`column`, a location id); its values are added to `binds`.
    pub fn clause(&self, binds: &mut Binds<'c>, tenant_column: &str, column: &str) -> String {
        let tenant = binds.add(self.tenant_id);
        let user = binds.add(self.user_id);
        let all = binds.add(i64::from(self.sees_all));
        format!(
            "{tenant_column} = {tenant} AND ({all} = 1 OR {column} IN (SELECT g.location_id FROM location_grants g
          WHERE g.tenant_id = {tenant} AND g.user_id = {user})
          OR {column} IN (SELECT gl.location_id FROM store_group_locations gl
          JOIN group_grants gg ON gg.group_id = gl.group_id
          WHERE gg.tenant_id = {tenant} AND gg.user_id = {user}))"
        )
    }
}

/// `text` for a LIKE pattern with LIKE's own wildcards taken literally (with a backslash escape).
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// For queries across every organisation a user belongs to (memberships joined): the
/// locations the member may see in each, with the role they hold there.
#[derive(Debug, Clone, Copy)]
pub struct MemberScope<'c> {
    user_id: &'c str,
}

impl<'c> MemberScope<'c> {
    pub fn for_caller(caller: &'c Caller) -> Self {
        MemberScope {
            user_id: caller.principal.id(),
        }
    }

    /// The condition limiting the joined memberships (alias `membership`) to the caller's, and
    /// the rows to the locations (`location_column`, of the organisation in `tenant_column`) the
    /// member may see there; its values are added to `binds`.
    pub fn clause(
        &self,
        binds: &mut Binds<'c>,
        membership: &str,
        tenant_column: &str,
        location_column: &str,
    ) -> String {
        let user = binds.add(self.user_id);
        format!(
            "{membership}.user_id = {user} AND ({membership}.role <> 'operator'
          OR {location_column} IN (SELECT g.location_id
          FROM location_grants g WHERE g.tenant_id = {tenant_column} AND g.user_id = {user})
          OR {location_column} IN (SELECT gl.location_id FROM store_group_locations gl
          JOIN group_grants gg ON gg.group_id = gl.group_id
          WHERE gg.tenant_id = {tenant_column} AND gg.user_id = {user}))"
        )
    }

    /// The organisations where the member sees every store (any role but operator), as a
    /// subquery of their ids: what is kept per organisation can be summed there without reading
    /// store by store. Its value is added to `binds`.
    pub fn whole_tenants(&self, binds: &mut Binds<'c>) -> String {
        let user = binds.add(self.user_id);
        format!(
            "SELECT w.tenant_id FROM memberships w WHERE w.user_id = {user} AND w.role <> 'operator'"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clause_numbers_its_placeholders_after_those_already_bound() {
        let scope = LocationScope {
            tenant_id: "t1",
            user_id: "u1",
            sees_all: false,
        };
        let mut binds = Binds::new();
        assert_eq!(binds.add("first"), "$1");
        let clause = scope.clause(&mut binds, "r.tenant_id", "r.location_id");
        assert!(clause.starts_with("r.tenant_id = $2 AND ($4 = 1 OR r.location_id IN"));
        assert!(clause.contains("g.tenant_id = $2 AND g.user_id = $3"));
        assert!(clause.contains("gg.tenant_id = $2 AND gg.user_id = $3"));
        assert_eq!(binds.add("next"), "$5");
    }

    #[test]
    fn the_member_clause_binds_the_user_once_after_what_is_bound() {
        let scope = MemberScope { user_id: "u1" };
        let mut binds = Binds::new();
        assert_eq!(binds.add("first"), "$1");
        let clause = scope.clause(&mut binds, "m", "l.tenant_id", "l.id");
        assert!(clause.starts_with("m.user_id = $2 AND (m.role <> 'operator'"));
        assert!(clause.contains("g.tenant_id = l.tenant_id AND g.user_id = $2"));
        assert!(clause.contains("gg.tenant_id = l.tenant_id AND gg.user_id = $2"));
        assert_eq!(binds.add("next"), "$3");
    }
}
