//! Tenant isolation: a member of tenant A, calling every server function with tenant B's ids,
//! gets "not found" or "forbidden" and B's data does not change. The table below must name every
//! server function; `every_server_function_is_in_the_isolation_table` fails when one is added
//! without joining it.

use crate::harness::connect::{oauth_connect, Consent};
use crate::harness::members::join;
use crate::harness::{Browser, TestServer};
use app::audit::types::AuditPage;
use app::members::types::{InviteCreated, MembersView};
use reqwest::StatusCode;
use std::collections::BTreeSet;

/// Server functions that take no id of another tenant's object: they act on the caller's own
/// session or current tenant, and are checked below for what they return instead.
const SCOPED_BY_SESSION: &[&str] = &[
    "current_user",
    "sign_up",
    "sign_in",
    "sign_out",
    "change_password",
    "list_members",
    "list_audit",
    "invite_details",
    "accept_invite",
    "create_tenant",
    "rename_tenant",
    "list_connections",
    "connect_simulator",
    "connect_stripe_key",
    "create_stripe_account",
    "connect_with_stripe",
    "set_alert_threshold",
    "set_stuck_threshold",
    "set_refund_rule",
    "list_locations",
    "list_readers",
    "reader_register_options",
    "fleet_overview",
    "list_transactions",
    "list_webhook_events",
    "transaction_totals",
    "list_api_keys",
    "create_api_key",
    "all_stores",
    "list_store_groups",
    "create_store_group",
    "list_support_grants",
    "grant_support_access",
    "list_configurations",
    "list_bulk_jobs",
    "fleet_inventory",
    "notification_settings",
    "create_notification_endpoint",
    // A secret waiting for its page is taken only by the person and organisation that made it:
    // secret_reveal::an_api_key_made_without_javascript_is_shown_once_to_its_maker.
    "revealed_api_key",
    "revealed_notification_secret",
    "revealed_invite",
];

struct World {
    b_connection: String,
    b_location: String,
    b_reader: String,
    b_job: String,
    b_connect: String,
    b_payment: String,
    b_event: (String, String),
    b_tenant: String,
    b_owner_id: String,
    b_member_id: String,
    b_invite_id: String,
    b_api_key: String,
    b_group: String,
    b_support: String,
    b_configuration: String,
    b_endpoint: String,
    b_delivery: String,
}

/// B's state as text, to prove nothing changed.
async fn snapshot(s: &TestServer, tenant: &str) -> String {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_id, role FROM memberships WHERE tenant_id = $1 ORDER BY user_id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("memberships");
    let invites: Vec<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT id, accepted_at, revoked_at FROM invites WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("invites");
    let name: String = sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_one(&s.state.db.pool)
        .await
        .expect("tenant");
    let connections: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, secret_key, webhook_secret FROM stripe_connections WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("connections");
    let readers: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, label, location_id FROM readers WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("readers");
    let locations: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, display_name, configuration_override FROM locations WHERE tenant_id = $1 ORDER BY id",
    )
            .bind(tenant)
            .fetch_all(&s.state.db.pool)
            .await
            .expect("locations");
    let grants: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_id, location_id FROM location_grants WHERE tenant_id = $1 ORDER BY user_id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("grants");
    let alert: (i64, i64) = sqlx::query_as(
        "SELECT offline_alert_minutes, stuck_action_minutes FROM tenants WHERE id = $1",
    )
    .bind(tenant)
    .fetch_one(&s.state.db.pool)
    .await
    .expect("alert");
    let endpoints: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, events, secret, enabled FROM notification_endpoints WHERE tenant_id = $1
         ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("endpoints");
    let deliveries: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM notification_deliveries WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("deliveries");
    let keys: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT id, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant)
            .fetch_all(&s.state.db.pool)
            .await
            .expect("api keys");
    let groups: Vec<(String, String)> = sqlx::query_as(
        "SELECT g.id, gl.location_id FROM store_groups g
         LEFT JOIN store_group_locations gl ON gl.group_id = g.id
         WHERE g.tenant_id = $1 ORDER BY g.id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("groups");
    let support: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT id, revoked_at FROM support_grants WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("support");
    format!(
        "{name} {rows:?} {invites:?} {connections:?} {readers:?} {locations:?} {grants:?} {alert:?} {keys:?} {groups:?} {support:?} {endpoints:?} {deliveries:?}"
    )
}

/// Every call of the table, with B's ids, made by A's owner.
fn calls(w: &World) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        ("switch_tenant", vec![("tenant_id", w.b_tenant.clone())]),
        (
            "change_member_role",
            vec![("user_id", w.b_member_id.clone()), ("role", "admin".into())],
        ),
        (
            "change_member_role",
            vec![
                ("user_id", w.b_owner_id.clone()),
                ("role", "auditor".into()),
            ],
        ),
        ("remove_member", vec![("user_id", w.b_member_id.clone())]),
        ("remove_member", vec![("user_id", w.b_owner_id.clone())]),
        ("revoke_invite", vec![("invite_id", w.b_invite_id.clone())]),
        ("revoke_api_key", vec![("id", w.b_api_key.clone())]),
        ("delete_store_group", vec![("group_id", w.b_group.clone())]),
        (
            "revoke_support_access",
            vec![("grant_id", w.b_support.clone())],
        ),
        (
            "set_group_location",
            vec![
                ("group_id", w.b_group.clone()),
                ("location_id", w.b_location.clone()),
                ("member", "false".into()),
            ],
        ),
        (
            "set_group_grant",
            vec![
                ("group_id", w.b_group.clone()),
                ("user_id", w.b_member_id.clone()),
                ("granted", "false".into()),
            ],
        ),
        (
            "open_store",
            vec![
                ("tenant_id", w.b_tenant.clone()),
                ("location_id", w.b_location.clone()),
            ],
        ),
        (
            "invite_member",
            vec![("email", "zed@b.example".into()), ("role", "owner".into())],
        ),
        ("rename_tenant", vec![("name", "Taken Over".into())]),
        (
            "rotate_stripe_key",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("secret_key", "sk_test_hijack12345".into()),
            ],
        ),
        (
            "set_webhook_secret",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("webhook_secret", "whsec_hijack12345".into()),
            ],
        ),
        ("location_detail", vec![("id", w.b_location.clone())]),
        (
            "create_location",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("display_name", "Mine now".into()),
                ("line1", "1 Market St".into()),
                ("city", "San Francisco".into()),
                ("state", "CA".into()),
                ("postal_code", "94105".into()),
                ("country", "US".into()),
            ],
        ),
        (
            "update_location",
            vec![
                ("id", w.b_location.clone()),
                ("display_name", "Mine now".into()),
                ("line1", "1 Market St".into()),
                ("city", "San Francisco".into()),
                ("state", "CA".into()),
                ("postal_code", "94105".into()),
                ("country", "US".into()),
            ],
        ),
        (
            "delete_location",
            vec![("id", w.b_location.clone()), ("confirm", "yes".into())],
        ),
        (
            "set_location_grant",
            vec![
                ("location_id", w.b_location.clone()),
                ("user_id", w.b_member_id.clone()),
                ("granted", "true".into()),
            ],
        ),
        (
            "register_reader",
            vec![
                ("location", w.b_location.clone()),
                ("registration_code", "simulated-wpe".into()),
            ],
        ),
        ("reader_detail", vec![("id", w.b_reader.clone())]),
        (
            "relabel_reader",
            vec![("id", w.b_reader.clone()), ("label", "hijacked".into())],
        ),
        ("delete_reader", vec![("id", w.b_reader.clone())]),
        ("cancel_reader_action", vec![("id", w.b_reader.clone())]),
        ("bulk_job", vec![("id", w.b_job.clone())]),
        (
            "preview_bulk_action",
            vec![
                ("action", "relabel".into()),
                ("ids", w.b_reader.clone()),
                ("pattern", "hijacked {n}".into()),
            ],
        ),
        (
            "start_bulk_action",
            vec![("action", "delete".into()), ("ids", w.b_reader.clone())],
        ),
        (
            "start_bulk_action",
            vec![
                ("action", "delete".into()),
                ("all", "1".into()),
                ("location", w.b_location.clone()),
            ],
        ),
        (
            "continue_onboarding",
            vec![("connection_id", w.b_connect.clone())],
        ),
        (
            "start_test_charge",
            vec![
                ("reader_id", w.b_reader.clone()),
                ("amount", "1".into()),
                ("currency", "usd".into()),
                ("op", "isolationop1".into()),
            ],
        ),
        (
            "present_test_card",
            vec![
                ("reader_id", w.b_reader.clone()),
                ("card", "4242424242424242".into()),
                ("op", "isolationop2".into()),
            ],
        ),
        ("payment_detail", vec![("id", w.b_payment.clone())]),
        (
            "reapply_webhook_event",
            vec![
                ("connection_id", w.b_event.0.clone()),
                ("event_id", w.b_event.1.clone()),
            ],
        ),
        (
            "capture_payment",
            vec![("id", w.b_payment.clone()), ("op", "isolationop3".into())],
        ),
        (
            "cancel_payment",
            vec![("id", w.b_payment.clone()), ("op", "isolationop4".into())],
        ),
        (
            "refund_payment",
            vec![("id", w.b_payment.clone()), ("op", "isolationop5".into())],
        ),
        (
            "create_configuration",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("form[name]", "Mine now".into()),
            ],
        ),
        (
            "update_configuration",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("id", w.b_configuration.clone()),
                ("form[name]", "Mine now".into()),
            ],
        ),
        (
            "copy_configuration_to_default",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("id", w.b_configuration.clone()),
            ],
        ),
        (
            "remove_splashscreen",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("id", w.b_configuration.clone()),
                ("device_type", "bbpos_wisepos_e".into()),
            ],
        ),
        (
            "location_configuration",
            vec![("location_id", w.b_location.clone())],
        ),
        (
            "set_location_configuration",
            vec![
                ("location_id", w.b_location.clone()),
                ("configuration_id", w.b_configuration.clone()),
            ],
        ),
        (
            "delete_configuration",
            vec![
                ("connection_id", w.b_connection.clone()),
                ("id", w.b_configuration.clone()),
            ],
        ),
        (
            "update_notification_endpoint",
            vec![("id", w.b_endpoint.clone()), ("offline", "yes".into())],
        ),
        (
            "rotate_notification_secret",
            vec![("id", w.b_endpoint.clone())],
        ),
        ("send_test_notification", vec![("id", w.b_endpoint.clone())]),
        (
            "redeliver_notification",
            vec![("delivery_id", w.b_delivery.clone())],
        ),
        (
            "delete_notification_endpoint",
            vec![("id", w.b_endpoint.clone())],
        ),
        (
            "remove_connection",
            vec![("connection_id", w.b_connection.clone())],
        ),
    ]
}

async fn setup(s: &TestServer) -> (Browser, Browser, World) {
    let a = s.user("ann@a.example").await;
    let b = s.user("bob@b.example").await;
    let b_member = join(s, &b, "carl@b.example", "operator").await;
    let invite: InviteCreated = b
        .ok(
            "invite_member",
            &[("email", "dora@b.example"), ("role", "admin")],
        )
        .await;
    let b_me = b.me().await.expect("b");
    let connections: app::connections::types::ConnectionsView = b.ok("list_connections", &[]).await;
    let b_connection = connections
        .connections
        .first()
        .expect("B's default simulator connection")
        .id
        .clone();
    let b_location = crate::harness::fleet::create_location(&b, &b_connection, "B's store").await;
    let b_reader =
        crate::harness::fleet::register(&b, &b_location, "simulated-wpe", "B's till").await;
    let b_connect = oauth_connect(&b, "B's franchise store", Consent::New).await;
    let b_op = app::payments::ssr::payments_service::new_operation();
    let b_payment = crate::harness::payments::charge(&b, &b_reader, "5", "manual", &b_op).await;
    crate::harness::payments::present(&b, &b_reader, "4242424242424242", &b_op).await;
    crate::harness::wait::eventually("B's events arrived", 10, || async {
        s.count("SELECT COUNT(*) FROM webhook_events").await > 0
    })
    .await;
    let b_event: (String, String) =
        sqlx::query_as("SELECT connection_id, id FROM webhook_events WHERE tenant_id = $1 LIMIT 1")
            .bind(&b_me.tenant.id)
            .fetch_one(&s.state.db.pool)
            .await
            .expect("B's event");
    let b_api_key = crate::harness::pos::create_key(&b, "B's till", "pos")
        .await
        .id;
    let b_group: String = b.ok("create_store_group", &[("name", "B's region")]).await;
    let () = b
        .ok(
            "set_group_location",
            &[
                ("group_id", &b_group),
                ("location_id", &b_location),
                ("member", "true"),
            ],
        )
        .await;
    let _helper = s.user("helper@support.example").await;
    let () = b
        .ok(
            "grant_support_access",
            &[
                ("email", "helper@support.example"),
                ("hours", "24"),
                ("reason", "B's ticket"),
            ],
        )
        .await;
    let b_support: String =
        sqlx::query_scalar("SELECT id FROM support_grants WHERE tenant_id = $1")
            .bind(&b_me.tenant.id)
            .fetch_one(&s.state.db.pool)
            .await
            .expect("B's support grant");
    let b_connection_id = connections
        .connections
        .first()
        .expect("B's default simulator connection")
        .id
        .clone();
    let b_configuration: String = b
        .ok(
            "create_configuration",
            &[
                ("connection_id", b_connection_id.as_str()),
                ("form[name]", "B's tips"),
                ("form[currency_1]", "usd"),
                ("form[percentages_1]", "10, 15"),
            ],
        )
        .await;
    let () = b
        .ok(
            "set_location_configuration",
            &[
                ("location_id", b_location.as_str()),
                ("configuration_id", b_configuration.as_str()),
            ],
        )
        .await;
    let b_job =
        crate::harness::bulk::start_registration(&b, "simulated-wpe,B's till 2,Nowhere\n").await;
    crate::harness::bulk::finished(&b, &b_job, 30).await;
    let b_endpoint: app::notifications::types::EndpointSecret = b
        .ok(
            "create_notification_endpoint",
            &[("url", "http://127.0.0.1:9/b-hook"), ("offline", "yes")],
        )
        .await;
    let b_delivery: String = b
        .ok("send_test_notification", &[("id", &b_endpoint.endpoint_id)])
        .await;
    let world = World {
        b_job,
        b_endpoint: b_endpoint.endpoint_id,
        b_delivery,
        b_configuration,
        b_support,
        b_group,
        b_api_key,
        b_event,
        b_payment,
        b_location,
        b_reader,
        b_connect,
        b_connection: connections
            .connections
            .first()
            .expect("B's default simulator connection")
            .id
            .clone(),
        b_tenant: b_me.tenant.id.clone(),
        b_owner_id: b_me.user_id.clone(),
        b_member_id: b_member.me().await.expect("carl").user_id,
        b_invite_id: invite.id,
    };
    (a, b, world)
}

#[tokio::test]
async fn tenant_a_cannot_read_or_change_tenant_b() {
    let s = TestServer::start().await;
    let (a, b, w) = setup(&s).await;
    let before = snapshot(&s, &w.b_tenant).await;
    let b_audit_before = s
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE tenant_id = '{}'",
            w.b_tenant
        ))
        .await;

    for (name, args) in calls(&w) {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = a.call(name, &args).await;
        let status = r.status();
        if name == "invite_member" || name == "rename_tenant" {
            // These act on A's own current tenant, never B's: the snapshot below proves it.
            assert!(status.is_success(), "{name}: {status}");
            continue;
        }
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{name} with B's ids answered {status}"
        );
    }
    assert_eq!(snapshot(&s, &w.b_tenant).await, before, "B's data changed");
    let b_audit_after = s
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE tenant_id = '{}'",
            w.b_tenant
        ))
        .await;
    assert_eq!(b_audit_before, b_audit_after);

    // Reads scoped by session show A's data only.
    let members: MembersView = a.ok("list_members", &[]).await;
    assert_eq!(members.members.len(), 1);
    let connections: app::connections::types::ConnectionsView = a.ok("list_connections", &[]).await;
    assert!(
        connections
            .connections
            .iter()
            .all(|c| c.id != w.b_connection),
        "B's connection {} is listed to A",
        w.b_connection
    );
    let emails: Vec<&str> = members.members.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(emails, ["ann@a.example"], "A's members");
    let audit: AuditPage = a.ok("list_audit", &[]).await;
    assert!(!audit.entries.is_empty());
    // Only A's own entries: its member's actions and the system's (the default connection).
    assert!(
        audit.entries.iter().all(|e| matches!(
            e.actor_email.as_deref(),
            Some("ann@a.example") | None
        ) && !e
            .target_id
            .as_deref()
            .is_some_and(|t| t == w.b_tenant || t == w.b_connection)),
        "{:?}",
        audit.entries
    );
    let readers: app::fleet::types::ReadersView = a.ok("list_readers", &[]).await;
    assert_eq!(readers.total, 0, "A sees none of B's readers");
    assert!(
        readers.locations.iter().all(|l| l.id != w.b_location),
        "B's location is offered to A's filter"
    );
    let options: app::fleet::types::RegisterOptions = a.ok("reader_register_options", &[]).await;
    assert!(
        options.locations.iter().all(|l| l.id != w.b_location),
        "B's location is offered to A's register form"
    );
    let locations: app::fleet::types::LocationsView = a.ok("list_locations", &[]).await;
    assert!(locations.locations.is_empty());
    let transactions: app::payments::types::TransactionsView = a.ok("list_transactions", &[]).await;
    assert!(
        transactions.payments.is_empty(),
        "A sees none of B's payments"
    );
    let overview: app::dashboard::types::OverviewView = a.ok("fleet_overview", &[]).await;
    assert_eq!(overview.totals.total(), 0);
    let configurations: app::configurations::types::ConfigurationsView =
        a.ok("list_configurations", &[]).await;
    assert!(
        configurations
            .accounts
            .iter()
            .all(|acct| acct.connection_id != w.b_connection
                && acct
                    .configurations
                    .iter()
                    .all(|e| e.configuration.id != w.b_configuration)),
        "B's configurations are listed to A"
    );
    let notifications: app::notifications::types::NotificationsView =
        a.ok("notification_settings", &[]).await;
    assert!(notifications.endpoints.is_empty() && notifications.deliveries.is_empty());
    let notifications: app::notifications::types::NotificationsView = a
        .ok(
            "notification_settings",
            &[("endpoint", w.b_endpoint.as_str())],
        )
        .await;
    assert!(notifications.deliveries.is_empty(), "A sees B's deliveries");
    let keys: app::api_keys::types::ApiKeysView = a.ok("list_api_keys", &[]).await;
    assert!(keys.keys.is_empty(), "A sees none of B's API keys");
    let me = a.me().await.expect("a");
    assert_eq!(me.tenants.len(), 1);
    assert_ne!(me.tenant.id, w.b_tenant);
    // B still sees its own.
    let members: MembersView = b.ok("list_members", &[]).await;
    assert_eq!(members.members.len(), 2);
}

#[tokio::test]
async fn every_server_function_is_in_the_isolation_table() {
    let w = World {
        b_location: String::new(),
        b_reader: String::new(),
        b_job: String::new(),
        b_connect: String::new(),
        b_payment: String::new(),
        b_event: (String::new(), String::new()),
        b_connection: String::new(),
        b_tenant: String::new(),
        b_owner_id: String::new(),
        b_member_id: String::new(),
        b_invite_id: String::new(),
        b_api_key: String::new(),
        b_group: String::new(),
        b_support: String::new(),
        b_configuration: String::new(),
        b_endpoint: String::new(),
        b_delivery: String::new(),
    };
    let covered: BTreeSet<String> = calls(&w)
        .into_iter()
        .map(|(n, _)| n.to_string())
        .chain(SCOPED_BY_SESSION.iter().map(|n| n.to_string()))
        .collect();
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .filter_map(|(path, _)| path.strip_prefix("/sf/").map(str::to_string))
        .collect();
    assert!(!registered.is_empty());
    let missing: Vec<_> = registered.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "server functions missing from the isolation table: {missing:?}"
    );
}
