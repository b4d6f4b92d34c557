use crate::harness::members::{invite_token, join};
use crate::harness::{message, TestServer, PASSWORD};
use app::audit::types::AuditPage;
use app::members::types::{InviteCreated, InviteInfo, MembersView};
use app::model::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn invite_link_works_once_for_the_invited_email_and_switches_tenant() {
    let s = TestServer::start().await;
    let owner = s.user("owner@example.com").await;
    let invite: InviteCreated = owner
        .ok(
            "invite_member",
            &[("email", "Aud@Example.com"), ("role", "auditor")],
        )
        .await;
    assert_eq!(invite.email, "aud@example.com");
    assert!(
        invite.link.starts_with(&format!("{}/invite/", s.base)),
        "{}",
        invite.link
    );
    let token = invite_token(&invite);
    // Only the hash is stored.
    assert_eq!(
        s.count(&format!(
            "SELECT COUNT(*) FROM invites WHERE token_hash = '{token}'"
        ))
        .await,
        0
    );

    let anonymous = s.client();
    let info: InviteInfo = anonymous.ok("invite_details", &[("token", &token)]).await;
    assert_eq!(info.role, Role::Auditor);
    assert_eq!(info.tenant_name, "owner@example.com Org");

    let stranger = s.user("stranger@example.com").await;
    let (status, err) = stranger.err("accept_invite", &[("token", &token)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&err).contains("aud@example.com"));

    let aud = s.user("aud@example.com").await;
    let () = aud.ok("accept_invite", &[("token", &token)]).await;
    let me = aud.me().await.expect("signed in");
    assert_eq!(me.tenant.name, "owner@example.com Org");
    assert_eq!(me.tenant.role, Role::Auditor);
    assert_eq!(me.tenants.len(), 2);

    let (status, err) = aud.err("accept_invite", &[("token", &token)]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&err).contains("already been used"));
    let (status, _) = anonymous
        .err("invite_details", &[("token", "not-a-token")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The new member can switch back to their own tenant and forth again.
    let own = me
        .tenants
        .iter()
        .find(|t| t.role == Role::Owner)
        .expect("own tenant")
        .id
        .clone();
    let () = aud.ok("switch_tenant", &[("tenant_id", &own)]).await;
    assert_eq!(aud.me().await.expect("me").tenant.id, own);
    let audit: AuditPage = owner.ok("list_audit", &[]).await;
    let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    for action in ["member.joined", "member.invited"] {
        assert!(actions.contains(&action), "{action} not in {actions:?}");
    }
}

#[tokio::test]
async fn expired_and_withdrawn_invites_do_not_work() {
    let s = TestServer::start().await;
    let owner = s.user("own2@example.com").await;
    let a: InviteCreated = owner
        .ok(
            "invite_member",
            &[("email", "late@example.com"), ("role", "operator")],
        )
        .await;
    sqlx::query("UPDATE invites SET expires_at = 1 WHERE id = $1")
        .bind(&a.id)
        .execute(&s.state.db.pool)
        .await
        .expect("expire");
    let late = s.user("late@example.com").await;
    let (status, err) = late
        .err("accept_invite", &[("token", &invite_token(&a))])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&err).contains("expired"));

    let b: InviteCreated = owner
        .ok(
            "invite_member",
            &[("email", "late@example.com"), ("role", "operator")],
        )
        .await;
    let () = owner.ok("revoke_invite", &[("invite_id", &b.id)]).await;
    let (status, err) = late
        .err("accept_invite", &[("token", &invite_token(&b))])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&err).contains("withdrawn"));
    assert_eq!(late.me().await.expect("me").tenants.len(), 1);
}

#[tokio::test]
async fn roles_change_and_the_last_owner_stays() {
    let s = TestServer::start().await;
    let owner = s.user("boss@example.com").await;
    let owner_id = owner.me().await.expect("me").user_id;
    let admin = join(&s, &owner, "adm@example.com", "admin").await;
    let op = join(&s, &owner, "op@example.com", "operator").await;
    let op_id = op.me().await.expect("me").user_id;

    let (status, err) = owner
        .err(
            "change_member_role",
            &[("user_id", &owner_id), ("role", "admin")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&err).contains("at least one owner"));
    let (status, _) = owner.err("remove_member", &[("user_id", &owner_id)]).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Admins manage members but cannot touch owners or make new ones.
    let (status, _) = admin
        .err(
            "change_member_role",
            &[("user_id", &op_id), ("role", "owner")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = admin.err("remove_member", &[("user_id", &owner_id)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let () = admin
        .ok(
            "change_member_role",
            &[("user_id", &op_id), ("role", "auditor")],
        )
        .await;
    let (status, err) = admin
        .err(
            "change_member_role",
            &[("user_id", &op_id), ("role", "wizard")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("not a role"));

    let view: MembersView = owner.ok("list_members", &[]).await;
    let op_row = view
        .members
        .iter()
        .find(|m| m.user_id == op_id)
        .expect("op");
    assert_eq!(op_row.role, Role::Auditor);

    let () = owner
        .ok(
            "change_member_role",
            &[("user_id", &op_id), ("role", "owner")],
        )
        .await;
    let () = owner
        .ok(
            "change_member_role",
            &[("user_id", &owner_id), ("role", "admin")],
        )
        .await;
    let () = op.ok("remove_member", &[("user_id", &owner_id)]).await;
    let view: MembersView = op.ok("list_members", &[]).await;
    assert_eq!(view.members.len(), 2);
    let audit: AuditPage = op
        .ok("list_audit", &[("action", "member.role_changed")])
        .await;
    assert_eq!(audit.entries.len(), 3);
    assert!(audit
        .entries
        .iter()
        .all(|e| e.action == "member.role_changed"));
    // The removed owner belonged only to this tenant and now reaches nothing…
    let (status, err) = owner.err("list_members", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&err).contains("no longer belong"), "{err}");
    let me = owner.me().await.expect("still signed in");
    assert!(me.tenants.is_empty());
    // Pages answer 403 and show only the card that says so and offers a new organisation: the
    // frame after it (with the page's own refusal) is hidden by the stylesheet.
    let r = owner.get("/readers").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(r#"class="auth-page no-organisation""#),
        "{html}"
    );
    assert!(html.contains("No organisation"), "{html}");
    // …until they start a new organisation of their own.
    let () = owner
        .ok("create_tenant", &[("name", "Boss Again Ltd")])
        .await;
    let me = owner.me().await.expect("me");
    assert_eq!(me.tenant.name, "Boss Again Ltd");
    assert_eq!(me.tenant.role, Role::Owner);
}

#[tokio::test]
async fn auditors_and_operators_cannot_write_members() {
    let s = TestServer::start().await;
    let owner = s.user("o3@example.com").await;
    let victim = join(&s, &owner, "v3@example.com", "operator").await;
    let victim_id = victim.me().await.expect("me").user_id;
    let invite: InviteCreated = owner
        .ok(
            "invite_member",
            &[("email", "p3@example.com"), ("role", "operator")],
        )
        .await;
    for role in ["auditor", "operator"] {
        let email = format!("{role}3@example.com");
        let b = join(&s, &owner, &email, role).await;
        let calls: [(&str, Vec<(&str, &str)>); 5] = [
            (
                "invite_member",
                vec![("email", "x@example.com"), ("role", "admin")],
            ),
            (
                "change_member_role",
                vec![("user_id", &victim_id), ("role", "admin")],
            ),
            ("remove_member", vec![("user_id", &victim_id)]),
            ("revoke_invite", vec![("invite_id", &invite.id)]),
            ("rename_tenant", vec![("name", "Renamed by a reader")]),
        ];
        for (name, args) in calls {
            let (status, _) = b.err(name, &args).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} calling {name}");
        }
        let view: MembersView = b.ok("list_members", &[]).await;
        assert!(!view.can_manage);
        assert!(
            view.invites.is_empty(),
            "pending invites are for managers only"
        );
    }
    let view: MembersView = owner.ok("list_members", &[]).await;
    assert_eq!(view.invites.len(), 1);
    assert_eq!(
        view.members
            .iter()
            .find(|m| m.user_id == victim_id)
            .map(|m| m.role),
        Some(Role::Operator),
        "{victim_id}'s role after the refused changes"
    );
    // Auditors read the audit log; operators do not.
    let auditor = s.client();
    let _ = auditor
        .call(
            "sign_in",
            &[("email", "auditor3@example.com"), ("password", PASSWORD)],
        )
        .await;
    let _: AuditPage = auditor.ok("list_audit", &[]).await;
    let operator = s.client();
    let _ = operator
        .call(
            "sign_in",
            &[("email", "operator3@example.com"), ("password", PASSWORD)],
        )
        .await;
    let (status, _) = operator.err("list_audit", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn audit_log_filters_and_pages() {
    let s = TestServer::start().await;
    let owner = s.user("pager@example.com").await;
    for i in 0..60 {
        let email = format!("guest{i}@example.com");
        let _: InviteCreated = owner
            .ok("invite_member", &[("email", &email), ("role", "operator")])
            .await;
    }
    let first: AuditPage = owner
        .ok("list_audit", &[("action", "member.invited")])
        .await;
    assert_eq!(first.entries.len(), 50);
    let cursor = first.next.clone().expect("a second page");
    let second: AuditPage = owner
        .ok(
            "list_audit",
            &[("action", "member.invited"), ("before", &cursor)],
        )
        .await;
    assert_eq!(second.entries.len(), 10);
    assert!(second.next.is_none());
    let all: std::collections::HashSet<_> = first
        .entries
        .iter()
        .chain(&second.entries)
        .map(|e| e.id.clone())
        .collect();
    assert_eq!(all.len(), 60);
    // A cursor from before the format changed (a tab left open) or a damaged one: a 400 saying
    // to start again, never a 500.
    for stale in [
        format!("{}:{}", first.entries[49].at, first.entries[49].id),
        "%%%".into(),
    ] {
        let (status, body) = owner.err("list_audit", &[("before", &stale)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{stale}: {body}");
        assert!(body.to_string().contains("first page"), "{body}");
    }
    let by_actor: AuditPage = owner
        .ok("list_audit", &[("actor", "someone@else.com")])
        .await;
    assert!(by_actor.entries.is_empty());
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let dated: AuditPage = owner
        .ok("list_audit", &[("from", &today), ("to", &today)])
        .await;
    assert!(!dated.entries.is_empty());
    let (status, err) = owner.err("list_audit", &[("from", "yesterday")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("not a date"));
    // Sign-in entries carry the client's address and user agent.
    let entry = first.entries.first().expect("entry");
    assert_eq!(entry.ip.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn owners_rename_and_anyone_creates_organisations() {
    let s = TestServer::start().await;
    let owner = s.user("ren@example.com").await;
    let admin = join(&s, &owner, "renadm@example.com", "admin").await;
    let (status, _) = admin.err("rename_tenant", &[("name", "Hijacked")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, err) = owner.err("rename_tenant", &[("name", "   ")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("Enter a name"));
    let () = owner.ok("rename_tenant", &[("name", "Renamed Café")]).await;
    assert_eq!(admin.me().await.expect("me").tenant.name, "Renamed Café");
    let () = admin.ok("create_tenant", &[("name", "Admin's Own")]).await;
    let me = admin.me().await.expect("me");
    assert_eq!(me.tenant.name, "Admin's Own");
    assert_eq!(me.tenants.len(), 3);
    let audit: AuditPage = owner
        .ok("list_audit", &[("action", "tenant.renamed")])
        .await;
    assert_eq!(audit.entries.len(), 1);
}
