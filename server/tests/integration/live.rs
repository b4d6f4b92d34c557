//! The live bus and the SSE stream: changes reach the tenant's browsers, only theirs, and on
//! PostgreSQL across server instances.

use crate::harness::members::{join, support_in};
use crate::harness::wait::eventually;
use crate::harness::{on_postgres, Browser, EventStream, Said, TestServer, PASSWORD};
use app::members::types::InviteCreated;
use app::topic::Topic;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

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
async fn a_stream_opened_after_a_change_says_its_page_may_have_missed_it() {
    let s = TestServer::start().await;
    let a = s.user("late-a@example.com").await;
    let b = s.user("late-b@example.com").await;
    // The sign-up's own changes (its connection's first sync) go by first, and then beyond
    // the slack allowed for two instances' clocks.
    let mut watch = a.events().await;
    while watch
        .next_message(Duration::from_millis(2_500))
        .await
        .is_some()
    {}
    let rendered = app::ssr::ids::now_ms();
    let invite = |user: &Browser, email: &'static str| {
        let user = user.clone();
        async move {
            let _: InviteCreated = user
                .ok("invite_member", &[("email", email), ("role", "auditor")])
                .await;
        }
    };
    // Another organisation's change is nothing this page missed.
    invite(&b, "x@b.example").await;
    let mut quiet = a.events_at(&format!("/events?since={rendered}")).await;
    let heard = quiet.next_message(Duration::from_millis(300)).await;
    assert!(heard.is_none(), "{heard:?}");
    // Its own is, whether the stream is of this organisation or of all of them. (Once this
    // instance has it: on PostgreSQL it comes back through NOTIFY.)
    invite(&a, "x@a.example").await;
    let heard = watch
        .next_message(Duration::from_secs(5))
        .await
        .expect("the change");
    assert_eq!(heard["topic"], "members");
    for path in ["/events", "/events?all=1"] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut late = a.events_at(&format!("{path}{sep}since={rendered}")).await;
        let first = late
            .next_message(Duration::from_secs(5))
            .await
            .expect("a first message");
        assert_eq!(first["topic"], "resync", "{path}");
    }
    // A page rendered after it missed nothing.
    let later = app::ssr::ids::now_ms() + 10_000;
    let mut fresh = a.events_at(&format!("/events?since={later}")).await;
    assert!(fresh
        .next_message(Duration::from_millis(300))
        .await
        .is_none());
    // Nor does a stream opened without saying when its page was made.
    let mut plain = a.events().await;
    assert!(plain
        .next_message(Duration::from_millis(300))
        .await
        .is_none());
    assert!(watch
        .next_message(Duration::from_millis(100))
        .await
        .is_none());
}

#[tokio::test]
async fn a_stream_refuses_a_since_that_is_not_a_time_and_resyncs_on_one_from_long_ago() {
    let s = TestServer::start().await;
    let a = s.user("since-fuzz@example.com").await;
    for bad in ["soon", "1e3", "99999999999999999999", "%00"] {
        let r = a.open_events(&format!("/events?since={bad}")).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body = r.text().await.unwrap_or_default();
        assert!(body.contains("since"), "{bad}: {body}");
    }
    // Older than this instance remembers, down to the smallest number: a refetch, no panic.
    for old in [i64::MIN, -1, 0] {
        let mut late = a.events_at(&format!("/events?since={old}")).await;
        let first = late.next_message(Duration::from_secs(5)).await;
        assert_eq!(first.expect("a first message")["topic"], "resync", "{old}");
    }
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
    let other = two.signed_in("multi@example.com").await;
    let mut stream = other.events().await;
    let _member = join(&one, &owner, "joiner@example.com", "operator").await;
    let message = stream
        .next_message(Duration::from_secs(5))
        .await
        .expect("message via NOTIFY");
    assert_eq!(message["topic"], "members");
}

// A stream follows its session: whatever ends or changes what the session grants stops the
// stream's deliveries within a second (the page is told why, then the stream ends), or
// re-scopes it on a new role.

/// Waits for the stream to be told `reason` (messages published just before the change may
/// still come first), checks it then ends, and returns how long that took from `since`.
async fn stops(stream: &mut EventStream, since: Instant, reason: &str) -> Duration {
    let elapsed = told(stream, since, reason).await;
    let after = stream.next_said(Duration::from_secs(2)).await;
    assert!(
        matches!(after, Said::Ended),
        "the stream went on after `{reason}`: {after:?}"
    );
    elapsed
}

/// Waits for the stream's `session` event with `reason`, within a second of `since`.
async fn told(stream: &mut EventStream, since: Instant, reason: &str) -> Duration {
    loop {
        match stream.next_said(Duration::from_secs(3)).await {
            Said::Event(name, data) if name == "session" => {
                assert_eq!(data["reason"], reason, "{data}");
                break;
            }
            Said::Message(_) => continue,
            other => panic!("the stream was never told `{reason}`: {other:?}"),
        }
    }
    let elapsed = since.elapsed();
    eprintln!("stream told `{reason}` after {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "`{reason}` took {elapsed:?}"
    );
    elapsed
}

async fn user_id(b: &Browser) -> String {
    b.me().await.expect("signed in").user_id
}

async fn tenant_id(b: &Browser) -> String {
    b.me().await.expect("signed in").tenant.id
}

#[tokio::test]
async fn sign_out_stops_the_stream_within_a_second() {
    let s = TestServer::start().await;
    let a = s.user("out@example.com").await;
    let tenant = tenant_id(&a).await;
    let mut stream = a.events().await;
    s.state
        .bus
        .publish(&tenant, Topic::Readers, Some("tmr_1"))
        .await;
    assert!(matches!(
        stream.next_said(Duration::from_secs(5)).await,
        Said::Message(m) if m["id"] == "tmr_1"
    ));
    let r = a.call("sign_out", &[]).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "sign_out: {}",
        r.status()
    );
    stops(&mut stream, Instant::now(), "signed_out").await;
}

#[tokio::test]
async fn a_password_change_stops_the_other_sessions_streams() {
    let s = TestServer::start().await;
    let a = s.user("pw@example.com").await;
    let elsewhere = s.signed_in("pw@example.com").await;
    let mut stream = elsewhere.events().await;
    let () = a
        .ok(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a much newer password"),
                ("confirm_password", "a much newer password"),
            ],
        )
        .await;
    stops(&mut stream, Instant::now(), "signed_out").await;
    // The tab that changed it keeps working under its new session id.
    let mut own = a.events().await;
    s.state
        .bus
        .publish(&tenant_id(&a).await, Topic::Readers, None)
        .await;
    assert!(matches!(
        own.next_said(Duration::from_secs(5)).await,
        Said::Message(_)
    ));
}

#[tokio::test]
async fn removing_a_member_stops_their_streams_of_that_organisation() {
    let s = TestServer::start().await;
    let owner = s.user("rm-owner@example.com").await;
    let tenant = tenant_id(&owner).await;
    let member = join(&s, &owner, "rm-member@example.com", "admin").await;
    let member_id = user_id(&member).await;
    let own_tenant = member
        .me()
        .await
        .expect("member")
        .tenants
        .into_iter()
        .find(|t| t.id != tenant)
        .expect("their own organisation")
        .id;
    let mut stream = member.events().await;
    let mut all = member.events_at("/events?all=1").await;
    let () = owner.ok("remove_member", &[("user_id", &member_id)]).await;
    let since = Instant::now();
    stops(&mut stream, since, "access_ended").await;
    // All stores re-scopes to what is left, and delivers nothing more of the old organisation.
    told(&mut all, since, "tenants_changed").await;
    s.state
        .bus
        .publish(&tenant, Topic::Readers, Some("tmr_gone"))
        .await;
    s.state
        .bus
        .publish(&own_tenant, Topic::Readers, Some("tmr_own"))
        .await;
    match all.next_said(Duration::from_secs(5)).await {
        Said::Message(m) => assert_eq!(m["id"], "tmr_own", "{m}"),
        other => panic!("expected their own organisation's message: {other:?}"),
    }
}

#[tokio::test]
async fn a_new_role_rescopes_the_stream_within_a_second() {
    let s = TestServer::start().await;
    let owner = s.user("role-owner@example.com").await;
    let tenant = tenant_id(&owner).await;
    let member = join(&s, &owner, "role-member@example.com", "admin").await;
    let member_id = user_id(&member).await;
    let mut stream = member.events().await;
    s.state
        .bus
        .publish(&tenant, Topic::Readers, Some("tmr_1"))
        .await;
    match stream.next_said(Duration::from_secs(5)).await {
        Said::Message(m) => assert_eq!(m["id"], "tmr_1"),
        other => panic!("{other:?}"),
    }
    let () = owner
        .ok(
            "change_member_role",
            &[("user_id", &member_id), ("role", "operator")],
        )
        .await;
    told(&mut stream, Instant::now(), "role_changed").await;
    // An operator is told what kind of thing changed, never which one. (The role change's own
    // `members` message may still be on its way: it carries no id either.)
    s.state
        .bus
        .publish(&tenant, Topic::Readers, Some("tmr_2"))
        .await;
    loop {
        match stream.next_said(Duration::from_secs(5)).await {
            Said::Message(m) => {
                assert!(m["id"].is_null(), "{m}");
                if m["topic"] == "readers" {
                    break;
                }
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn revoking_support_access_stops_the_helpers_stream() {
    let s = TestServer::start().await;
    let owner = s.user("sup-owner@example.com").await;
    let (helper, _) = support_in(&s, &owner, "sup-helper@example.com", "1").await;
    let mut stream = helper.events().await;
    let grants: app::support::types::SupportView = owner.ok("list_support_grants", &[]).await;
    let () = owner
        .ok(
            "revoke_support_access",
            &[("grant_id", &grants.grants[0].id)],
        )
        .await;
    stops(&mut stream, Instant::now(), "access_ended").await;
}

#[tokio::test]
async fn support_access_running_out_stops_the_helpers_stream() {
    let s = TestServer::start().await;
    let owner = s.user("exp-owner@example.com").await;
    let (helper, _) = support_in(&s, &owner, "exp-helper@example.com", "1").await;
    let mut stream = helper.events().await;
    // Time passing: nobody announces an expiry, so only the stream's own re-checks see it.
    sqlx::query("UPDATE support_grants SET expires_at = $1")
        .bind(app::ssr::ids::now_ms())
        .execute(&s.state.db.pool)
        .await
        .expect("expire");
    stops(&mut stream, Instant::now(), "access_ended").await;
}

#[tokio::test]
async fn switching_organisation_in_another_tab_moves_every_tab() {
    let s = TestServer::start().await;
    let owner = s.user("sw-owner@example.com").await;
    let tenant = tenant_id(&owner).await;
    let member = join(&s, &owner, "sw-member@example.com", "operator").await;
    let own = member
        .me()
        .await
        .expect("member")
        .tenants
        .into_iter()
        .find(|t| t.id != tenant)
        .expect("own")
        .id;
    // One browser, two tabs: both on the owner's organisation.
    let mut first_tab = member.events().await;
    let mut second_tab = member.events().await;
    let r = member.call("switch_tenant", &[("tenant_id", &own)]).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "switch_tenant: {}",
        r.status()
    );
    let since = Instant::now();
    stops(&mut first_tab, since, "tenant_changed").await;
    stops(&mut second_tab, since, "tenant_changed").await;
    // Reopened, the stream is the organisation the session now works in.
    let mut reopened = member.events().await;
    s.state
        .bus
        .publish(&tenant, Topic::Readers, Some("tmr_old"))
        .await;
    s.state
        .bus
        .publish(&own, Topic::Readers, Some("tmr_new"))
        .await;
    match reopened.next_said(Duration::from_secs(5)).await {
        Said::Message(m) => assert_eq!(m["id"], "tmr_new", "{m}"),
        other => panic!("{other:?}"),
    }

    // Creating an organisation switches to it too.
    let mut stream = member.events().await;
    let r = member
        .call("create_tenant", &[("name", "Third shop")])
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "create_tenant: {}",
        r.status()
    );
    stops(&mut stream, Instant::now(), "tenant_changed").await;
}

#[tokio::test]
async fn opening_a_store_of_another_organisation_moves_the_stream() {
    let s = TestServer::start().await;
    let (owner, _reader) =
        crate::harness::fleet::owner_with_reader(&s, "open-owner@example.com").await;
    let member = join(&s, &owner, "open-member@example.com", "admin").await;
    let tenant = tenant_id(&owner).await;
    let own = member
        .me()
        .await
        .expect("member")
        .tenants
        .into_iter()
        .find(|t| t.id != tenant)
        .expect("own")
        .id;
    let () = member.ok("switch_tenant", &[("tenant_id", &own)]).await;
    let stores: app::stores::types::StoresView = member.ok("all_stores", &[]).await;
    let store = stores
        .stores
        .iter()
        .find(|st| st.tenant_id == tenant)
        .expect("the owner's store");
    let mut stream = member.events().await;
    let r = member
        .call(
            "open_store",
            &[("tenant_id", &tenant), ("location_id", &store.location_id)],
        )
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "open_store: {}",
        r.status()
    );
    stops(&mut stream, Instant::now(), "tenant_changed").await;
}

#[tokio::test]
async fn one_person_may_hold_only_so_many_streams() {
    let tweak: crate::harness::Tweak = Box::new(|config| server::config::Config {
        max_streams_per_user: 2,
        ..config
    });
    let s = TestServer::start_with(Some(tweak)).await;
    let a = s.user("many@example.com").await;
    let first = a.events().await;
    let _second = a.events_at("/events?all=1").await;
    let refused = a.open_events("/events").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body = refused.text().await.expect("body");
    assert!(body.contains("2 live connections"), "{body}");
    // Someone else is not affected.
    let b = s.user("other@example.com").await;
    let _theirs = b.events().await;
    // A closed tab gives its place back.
    drop(first);
    eventually("the closed stream's place comes back", 20, || async {
        let r = a.open_events("/events").await;
        assert!(
            r.status() == 200 || r.status() == 429,
            "another stream answered {}",
            r.status()
        );
        r.status() == 200
    })
    .await;
}

#[tokio::test]
async fn on_postgres_a_change_on_one_instance_stops_a_stream_on_another() {
    if !on_postgres() {
        return;
    }
    let one = TestServer::start().await;
    let two = one.another_instance().await;
    let a = one.user("multi-out@example.com").await;
    let on_two = two.signed_in("multi-out@example.com").await;
    let mut stream = on_two.events().await;
    // A password change through the first instance signs the second one's session out.
    let () = a
        .ok(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a much newer password"),
                ("confirm_password", "a much newer password"),
            ],
        )
        .await;
    stops(&mut stream, Instant::now(), "signed_out").await;
}
