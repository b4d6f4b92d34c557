//! Each instance keeps sessions, memberships and a tenant's filter choices in memory for a few
//! seconds (`app::ssr::read_cache`). Whatever ends or narrows access must still hold on the very
//! next request: each test reads first, so the entry is cached, then changes it and asks again
//! at once.

use crate::harness::fleet::{create_location, default_connection, readers};
use crate::harness::members::{join, support_in};
use crate::harness::wait::eventually;
use crate::harness::{on_postgres, session_cookie, Browser, TestServer, PASSWORD};
use app::ssr::read_cache::TTL;
use reqwest::StatusCode;
use std::time::Instant;

/// Whether `b` still has `tenant` among its organisations (asked twice, so the second answer
/// would come from the cache).
async fn belongs(b: &Browser, tenant: &str) -> bool {
    b.me().await;
    b.me()
        .await
        .is_some_and(|me| me.tenants.iter().any(|t| t.id == tenant))
}

#[tokio::test]
async fn a_removed_member_loses_the_organisation_on_the_next_request() {
    let s = TestServer::start().await;
    let owner = s.user("rc-owner@example.com").await;
    let tenant = owner.me().await.expect("owner").tenant.id;
    let member = join(&s, &owner, "rc-member@example.com", "admin").await;
    assert!(belongs(&member, &tenant).await);
    let member_id = member.me().await.expect("member").user_id;
    let () = owner.ok("remove_member", &[("user_id", &member_id)]).await;
    let me = member.me().await.expect("still signed in");
    assert!(
        me.tenants.iter().all(|t| t.id != tenant) && me.tenant.id != tenant,
        "the removed member still works in {tenant}: {me:?}"
    );
}

#[tokio::test]
async fn a_lowered_role_is_refused_on_the_next_request() {
    let s = TestServer::start().await;
    let owner = s.user("rc-boss@example.com").await;
    let admin = join(&s, &owner, "rc-admin@example.com", "admin").await;
    let admin_id = admin.me().await.expect("admin").user_id;
    for _ in 0..2 {
        let r = admin.call("list_members", &[]).await;
        assert!(r.status().is_success(), "list_members: {}", r.status());
    }
    let () = owner
        .ok(
            "change_member_role",
            &[("user_id", &admin_id), ("role", "auditor")],
        )
        .await;
    let (status, _) = admin
        .err(
            "invite_member",
            &[("email", "rc-x@example.com"), ("role", "auditor")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn revoked_support_access_ends_on_the_next_request() {
    let s = TestServer::start().await;
    let owner = s.user("rc-sup-owner@example.com").await;
    let (helper, tenant) = support_in(&s, &owner, "rc-helper@example.com", "1").await;
    assert!(belongs(&helper, &tenant).await);
    let grants: app::support::types::SupportView = owner.ok("list_support_grants", &[]).await;
    let () = owner
        .ok(
            "revoke_support_access",
            &[("grant_id", &grants.grants[0].id)],
        )
        .await;
    let me = helper.me().await.expect("still signed in");
    assert!(
        me.tenants.iter().all(|t| t.id != tenant),
        "the helper still reaches {tenant}: {me:?}"
    );
}

/// Who `cookie`'s session is signed in as, asked by a second client holding only that cookie.
async fn current_user_with(s: &TestServer, cookie: &str) -> String {
    reqwest::Client::new()
        .post(format!("{}/sf/current_user", s.base))
        .header("origin", &s.base)
        .header("cookie", cookie)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body")
}

#[tokio::test]
async fn a_signed_out_session_is_refused_on_the_next_request() {
    let s = TestServer::start().await;
    s.user("rc-out@example.com").await;
    let b = s.client();
    let r = b
        .call(
            "sign_in",
            &[("email", "rc-out@example.com"), ("password", PASSWORD)],
        )
        .await;
    let cookie = session_cookie(&r).expect("session cookie");
    for _ in 0..2 {
        assert_ne!(current_user_with(&s, &cookie).await, "null");
    }
    let r = b.call("sign_out", &[]).await;
    assert!(r.status().is_success(), "sign_out: {}", r.status());
    assert_eq!(current_user_with(&s, &cookie).await, "null");
}

#[tokio::test]
async fn a_password_change_signs_other_sessions_out_on_the_next_request() {
    let s = TestServer::start().await;
    let first = s.user("rc-pw@example.com").await;
    let second = s.signed_in("rc-pw@example.com").await;
    assert!(second.me().await.is_some());
    assert!(second.me().await.is_some());
    let () = first
        .ok(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another long password"),
                ("confirm_password", "another long password"),
            ],
        )
        .await;
    assert!(second.me().await.is_none());
}

#[tokio::test]
async fn a_new_location_is_among_the_filters_on_the_next_request() {
    let s = TestServer::start().await;
    let owner = s.user("rc-loc@example.com").await;
    let connection = default_connection(&owner).await;
    create_location(&owner, &connection, "First").await;
    readers(&owner, &[]).await;
    assert_eq!(readers(&owner, &[]).await.locations.len(), 1);
    create_location(&owner, &connection, "Second").await;
    let view = readers(&owner, &[]).await;
    assert!(
        view.locations.iter().any(|l| l.name == "Second"),
        "{:?}",
        view.locations
    );
}

#[tokio::test]
async fn on_postgres_a_removal_on_one_instance_reaches_the_other_before_its_cache_expires() {
    if !on_postgres() {
        return;
    }
    let one = TestServer::start().await;
    let two = one.another_instance().await;
    let owner = one.user("rc-multi@example.com").await;
    let tenant = owner.me().await.expect("owner").tenant.id;
    let member = join(&one, &owner, "rc-multi-member@example.com", "admin").await;
    let member_id = member.me().await.expect("member").user_id;
    let elsewhere = two.signed_in("rc-multi-member@example.com").await;
    assert!(belongs(&elsewhere, &tenant).await);
    let () = owner.ok("remove_member", &[("user_id", &member_id)]).await;
    let removed = Instant::now();
    eventually("the other instance drops the membership", 5, || async {
        !belongs(&elsewhere, &tenant).await
    })
    .await;
    assert!(
        removed.elapsed() < TTL,
        "the other instance kept the membership until its cache expired"
    );
}
