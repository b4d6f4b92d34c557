//! Who may call what, driven by the server functions registered in the binary: each must have a
//! rule (and its argument names) in [`RULES`], so a new function fails the suite until it says
//! who may call it, and then is called by every kind of caller to prove it checks.

use crate::harness::members::{join, support_in};
use crate::harness::server_fns::{plausible_args, registered, rule, Need, RULES};
use crate::harness::{message, Browser, TestServer};
use app::model::{Permission, Role};
use reqwest::StatusCode;
use std::collections::BTreeSet;
use Need::{Account, Any, Member, Public};
use Permission::{View, ViewAudit};

fn allows(role: Role, need: Need) -> bool {
    match need {
        Public | Account | Member => true,
        Any(permissions) => permissions.iter().any(|p| role.allows(*p)),
    }
}

#[test]
fn every_registered_server_function_has_an_access_rule() {
    let registered = registered();
    let ruled: BTreeSet<String> = RULES.iter().map(|(n, _, _)| n.to_string()).collect();
    let missing: Vec<_> = registered.difference(&ruled).collect();
    assert!(
        missing.is_empty(),
        "server functions without a rule in harness::server_fns::RULES: {missing:?}"
    );
    let stale: Vec<_> = ruled.difference(&registered).collect();
    assert!(stale.is_empty(), "rules for no server function: {stale:?}");
}

#[tokio::test]
async fn signed_out_callers_get_401_from_every_function_but_the_public_ones() {
    let s = TestServer::start().await;
    let anonymous = s.client();
    let mut called = 0;
    for name in registered() {
        let (need, _) = rule(&name);
        if matches!(need, Public) {
            continue;
        }
        let r = anonymous.call(&name, &plausible_args(&name)).await;
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{name} signed out: {body}"
        );
        called += 1;
    }
    assert!(called > 40, "only {called} functions called");
}

/// Calls every function as `who` (in role `role`): each one the role does not allow must
/// answer 403 and change nothing; each read it allows must not be refused.
async fn check_role(who: &Browser, role: Role) -> usize {
    let mut refused = 0;
    for name in registered() {
        let (need, _) = rule(&name);
        let args = plausible_args(&name);
        if !allows(role, need) {
            let r = who.call(&name, &args).await;
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{role} calling {name}: {body}"
            );
            refused += 1;
        } else if let Any(permissions) = need {
            // Reads have no side effects, so they can be called with made-up ids too.
            if permissions.iter().all(|p| matches!(p, View | ViewAudit)) {
                let r = who.call(&name, &args).await;
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{role} refused {name}: {status} {}",
                    message(&serde_json::from_str(&body).unwrap_or_default())
                );
            }
        }
    }
    refused
}

#[tokio::test]
async fn every_role_is_refused_every_function_beyond_it() {
    let s = TestServer::start().await;
    let owner = s.user("owner@roles.example").await;
    let tenant_name = owner.me().await.expect("owner").tenant.name;
    for (email, role) in [
        ("admin@roles.example", Role::Admin),
        ("operator@roles.example", Role::Operator),
        ("auditor@roles.example", Role::Auditor),
    ] {
        let who = join(&s, &owner, email, role.as_str()).await;
        assert_eq!(who.me().await.expect("member").tenant.role, role);
        let refused = check_role(&who, role).await;
        assert!(
            role == Role::Admin && refused == 3 || refused > 10,
            "{role}: {refused} refused"
        );
    }
    // Support access is an auditor's reach without membership.
    let (helper, _) = support_in(&s, &owner, "helper@roles.example", "24").await;
    check_role(&helper, Role::Auditor).await;
    // Nothing a refused call attempted happened.
    let me = owner.me().await.expect("owner");
    assert_eq!(me.tenant.name, tenant_name);
    assert_eq!(me.tenant.role, Role::Owner);
}
