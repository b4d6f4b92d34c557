//! Support access: time-limited, read-only, audited page by page, revocable, and gone by itself
//! at its expiry.

use crate::harness::fleet::owner_with_reader;
use crate::harness::members::join;
use crate::harness::TestServer;
use app::support::types::SupportView;
use reqwest::StatusCode;

#[tokio::test]
async fn support_reads_for_a_while_changes_nothing_and_is_audited() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "owner-support@example.com").await;
    let tenant = owner.me().await.expect("owner").tenant.id;
    let helper = s.user("helper@support.example").await;

    // Mistakes are named; only owners grant.
    for (email, hours, reason, field) in [
        ("nobody@support.example", "24", "Ticket 1", "email"),
        ("owner-support@example.com", "24", "Ticket 1", "email"),
        ("helper@support.example", "999", "Ticket 1", "hours"),
        ("helper@support.example", "24", " ", "reason"),
    ] {
        let (status, err) = owner
            .err(
                "grant_support_access",
                &[("email", email), ("hours", hours), ("reason", reason)],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{email} {hours}");
        assert_eq!(err["Invalid"]["field"], field, "{err}");
    }
    let admin = join(&s, &owner, "admin-support@example.com", "admin").await;
    let (status, _) = admin
        .err(
            "grant_support_access",
            &[
                ("email", "helper@support.example"),
                ("hours", "4"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let () = owner
        .ok(
            "grant_support_access",
            &[
                ("email", "helper@support.example"),
                ("hours", "24"),
                ("reason", "Ticket 4821"),
            ],
        )
        .await;
    let me = helper.me().await.expect("helper");
    let choice = me
        .tenants
        .iter()
        .find(|t| t.id == tenant)
        .expect("support tenant");
    assert!(choice.support_until.is_some());
    assert_eq!(choice.role, app::model::Role::Auditor);
    let r = helper
        .call("switch_tenant", &[("tenant_id", &tenant)])
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "switch_tenant: {}",
        r.status()
    );

    // Reads work; changes do not.
    let readers: app::fleet::types::ReadersView = helper.ok("list_readers", &[]).await;
    assert_eq!(readers.total, 1);
    assert_eq!(helper.get("/readers").await.status(), StatusCode::OK);
    for (name, args) in [
        (
            "relabel_reader",
            vec![("id", reader.as_str()), ("label", "Mine")],
        ),
        ("create_api_key", vec![("name", "k"), ("scope", "read")]),
        (
            "invite_member",
            vec![("email", "x@support.example"), ("role", "owner")],
        ),
    ] {
        let (status, _) = helper.err(name, &args).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    let viewed: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'support.viewed' AND tenant_id = $1",
    )
    .bind(&tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("audit");
    assert!(viewed.iter().any(|d| d == "/sf/list_readers"), "{viewed:?}");
    assert!(viewed.iter().any(|d| d == "/readers"), "{viewed:?}");
    let listed: SupportView = owner.ok("list_support_grants", &[]).await;
    assert_eq!(listed.grants.len(), 1);
    assert!(listed.grants[0].active);

    // Revoked: gone at once, back in their own organisation.
    let () = owner
        .ok(
            "revoke_support_access",
            &[("grant_id", &listed.grants[0].id)],
        )
        .await;
    let me = helper.me().await.expect("helper");
    assert!(
        me.tenants.iter().all(|t| t.id != tenant),
        "{tenant} still among the helper's organisations after the revoke"
    );
    assert_ne!(me.tenant.id, tenant);
    let readers: app::fleet::types::ReadersView = helper.ok("list_readers", &[]).await;
    assert_eq!(readers.total, 0);

    // Expired: gone by itself.
    let () = owner
        .ok(
            "grant_support_access",
            &[
                ("email", "helper@support.example"),
                ("hours", "1"),
                ("reason", "Ticket 4822"),
            ],
        )
        .await;
    assert!(
        helper
            .me()
            .await
            .expect("helper")
            .tenants
            .iter()
            .any(|t| t.id == tenant),
        "{tenant} not among the helper's organisations after the new grant"
    );
    sqlx::query("UPDATE support_grants SET expires_at = $1 WHERE revoked_at IS NULL")
        .bind(app::ssr::ids::now_ms() - 1)
        .execute(&s.state.db.pool)
        .await
        .expect("expire");
    // Moving the expiry back stands in for time passing, which also ends what the server
    // cached (a grant cached before it runs out is left out once it has).
    s.state.bus.cache().forget_all();
    assert!(
        helper
            .me()
            .await
            .expect("helper")
            .tenants
            .iter()
            .all(|t| t.id != tenant),
        "{tenant} still among the helper's organisations after the grant expired"
    );
    let audit = s
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('support.granted', 'support.revoked')",
        )
        .await;
    assert_eq!(audit, 3);
}
