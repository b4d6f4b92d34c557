//! The live bus and the SSE stream: changes reach the tenant's browsers, only theirs, and on
//! PostgreSQL across server instances.

use crate::harness::{on_postgres, TestServer};
use crate::members::join;
use app::model::InviteCreated;
use std::time::Duration;

#[tokio::test]
async fn member_changes_reach_the_tenants_stream_and_no_other() {
    let s = TestServer::start().await;
    let a = s.user("live-a@example.com").await;
    let b = s.user("live-b@example.com").await;
    let mut stream = a.events().await;
    // B's change first: if isolation failed, it would be the first message A sees.
    let _: InviteCreated = b
        .ok(
            "invite_member",
            &[("email", "x@b.example"), ("role", "auditor")],
        )
        .await;
    let invite: InviteCreated = a
        .ok(
            "invite_member",
            &[("email", "x@a.example"), ("role", "auditor")],
        )
        .await;
    let message = stream
        .next_message(Duration::from_secs(5))
        .await
        .expect("a live message");
    assert_eq!(message["topic"], "members");
    let () = a.ok("revoke_invite", &[("invite_id", &invite.id)]).await;
    let message = stream
        .next_message(Duration::from_secs(5))
        .await
        .expect("second message");
    assert_eq!(message["topic"], "members");
    assert!(
        stream
            .next_message(Duration::from_millis(300))
            .await
            .is_none(),
        "B's change leaked"
    );
}

#[tokio::test]
async fn the_stream_needs_a_session() {
    let s = TestServer::start().await;
    let r = s.client().get("/events").await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn on_postgres_the_bus_crosses_instances() {
    if !on_postgres() {
        return;
    }
    let one = TestServer::start().await;
    let two = one.another_instance().await;
    let owner = one.user("multi@example.com").await;
    // The same account, signed in on the other instance: sessions live in the database.
    let other = two.client();
    let r = other
        .call(
            "sign_in",
            &[
                ("email", "multi@example.com"),
                ("password", crate::harness::PASSWORD),
            ],
        )
        .await;
    assert!(r.status().is_success());
    let mut stream = other.events().await;
    let _member = join(&one, &owner, "joiner@example.com", "operator").await;
    let message = stream
        .next_message(Duration::from_secs(5))
        .await
        .expect("message via NOTIFY");
    assert_eq!(message["topic"], "members");
}
