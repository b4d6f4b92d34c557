//! Every server function the binary registers, who may call it and the fields it reads: the
//! access test proves each rule, the fuzz test fills each field with hostile values.

use app::model::Permission;
use std::collections::BTreeSet;

/// Who may call a server function.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Anyone, signed in or not (signing in, reading an invite by its secret token).
    Public,
    /// A signed-in user, even one who belongs to no organisation (acts on the account).
    Account,
    /// A member of the current organisation, in any role.
    Member,
    /// A member whose role allows one of these.
    Any(&'static [Permission]),
}

use Need::{Account, Any, Member, Public};
use Permission::{Charge, ManageFleet, ManageMembers, ManageTenant, View, ViewAudit};

/// What a bulk action's form posts: the action, the selection and the Readers list's filter.
const BULK_ACTION_FIELDS: &[&str] = &[
    "action",
    "ids",
    "all",
    "location",
    "status",
    "device_type",
    "q",
    "pattern",
];

/// Every server function: its rule and the names of the fields it reads (nested query fields as
/// `query[…]`), which the fuzz test fills with hostile values.
pub const RULES: &[(&str, Need, &[&str])] = &[
    // Accounts and sessions
    (
        "sign_up",
        Public,
        &["email", "password", "organisation", "next"],
    ),
    ("sign_in", Public, &["email", "password", "next"]),
    ("sign_out", Public, &[]),
    ("current_user", Public, &[]),
    ("invite_details", Public, &["token"]),
    ("accept_invite", Account, &["token"]),
    ("create_tenant", Account, &["name"]),
    (
        "all_stores",
        Account,
        &[
            "query[tenant]",
            "query[connection]",
            "query[q]",
            "query[status]",
            "query[sort]",
            "query[dir]",
            "query[page]",
        ],
    ),
    ("open_store", Account, &["tenant_id", "location_id"]),
    (
        "change_password",
        Member,
        &["current_password", "new_password", "confirm_password"],
    ),
    ("switch_tenant", Member, &["tenant_id"]),
    // The organisation and its members
    ("rename_tenant", Any(&[ManageTenant]), &["name"]),
    (
        "grant_support_access",
        Any(&[ManageTenant]),
        &["email", "hours", "reason"],
    ),
    ("revoke_support_access", Any(&[ManageTenant]), &["grant_id"]),
    ("list_support_grants", Any(&[ManageMembers, ViewAudit]), &[]),
    ("list_members", Any(&[View]), &[]),
    ("invite_member", Any(&[ManageMembers]), &["email", "role"]),
    ("revoke_invite", Any(&[ManageMembers]), &["invite_id"]),
    (
        "change_member_role",
        Any(&[ManageMembers]),
        &["user_id", "role"],
    ),
    ("remove_member", Any(&[ManageMembers]), &["user_id"]),
    ("revealed_invite", Any(&[ManageMembers]), &["token"]),
    (
        "list_audit",
        Any(&[ViewAudit]),
        &["actor", "action", "target", "from", "to", "before"],
    ),
    // API keys
    ("list_api_keys", Any(&[ManageFleet, ViewAudit]), &[]),
    ("create_api_key", Any(&[ManageFleet]), &["name", "scope"]),
    ("revoke_api_key", Any(&[ManageFleet]), &["id"]),
    ("revealed_api_key", Any(&[ManageFleet]), &["token"]),
    // Stripe connections
    ("list_connections", Any(&[View]), &[]),
    ("connect_simulator", Any(&[ManageFleet]), &["name"]),
    (
        "connect_stripe_key",
        Any(&[ManageFleet]),
        &["name", "secret_key"],
    ),
    (
        "rotate_stripe_key",
        Any(&[ManageFleet]),
        &["connection_id", "secret_key"],
    ),
    (
        "set_webhook_secret",
        Any(&[ManageFleet]),
        &["connection_id", "webhook_secret"],
    ),
    ("remove_connection", Any(&[ManageFleet]), &["connection_id"]),
    (
        "create_stripe_account",
        Any(&[ManageFleet]),
        &["name", "country"],
    ),
    ("connect_with_stripe", Any(&[ManageFleet]), &["name"]),
    (
        "continue_onboarding",
        Any(&[ManageFleet]),
        &["connection_id"],
    ),
    ("set_alert_threshold", Any(&[ManageFleet]), &["minutes"]),
    ("set_stuck_threshold", Any(&[ManageFleet]), &["minutes"]),
    ("set_refund_rule", Any(&[ManageMembers]), &["operators_may"]),
    // Locations, readers, store groups
    ("list_locations", Any(&[View]), &[]),
    ("location_detail", Any(&[View]), &["id"]),
    (
        "create_location",
        Any(&[ManageFleet]),
        &[
            "connection_id",
            "display_name",
            "line1",
            "line2",
            "city",
            "state",
            "postal_code",
            "country",
        ],
    ),
    (
        "update_location",
        Any(&[ManageFleet]),
        &[
            "id",
            "display_name",
            "line1",
            "line2",
            "city",
            "state",
            "postal_code",
            "country",
        ],
    ),
    ("delete_location", Any(&[ManageFleet]), &["id", "confirm"]),
    (
        "set_location_grant",
        Any(&[ManageFleet]),
        &["location_id", "user_id", "granted"],
    ),
    (
        "list_readers",
        Any(&[View]),
        &[
            "query[location]",
            "query[status]",
            "query[device_type]",
            "query[q]",
            "query[sort]",
            "query[dir]",
            "query[page]",
        ],
    ),
    ("reader_detail", Any(&[View]), &["id"]),
    ("reader_register_options", Any(&[View]), &[]),
    (
        "register_reader",
        Any(&[ManageFleet]),
        &["location", "registration_code", "label"],
    ),
    ("relabel_reader", Any(&[ManageFleet]), &["id", "label"]),
    ("delete_reader", Any(&[ManageFleet]), &["id"]),
    ("cancel_reader_action", Any(&[Charge]), &["id"]),
    ("list_bulk_jobs", Any(&[View]), &[]),
    ("bulk_job", Any(&[View]), &["id"]),
    (
        "preview_bulk_action",
        Any(&[ManageFleet, Charge]),
        BULK_ACTION_FIELDS,
    ),
    (
        "start_bulk_action",
        Any(&[ManageFleet, Charge]),
        BULK_ACTION_FIELDS,
    ),
    ("fleet_inventory", Any(&[View]), &[]),
    ("fleet_overview", Any(&[View]), &[]),
    ("list_store_groups", Any(&[ManageFleet, ViewAudit]), &[]),
    ("create_store_group", Any(&[ManageFleet]), &["name"]),
    ("delete_store_group", Any(&[ManageFleet]), &["group_id"]),
    (
        "set_group_location",
        Any(&[ManageFleet]),
        &["group_id", "location_id", "member"],
    ),
    (
        "set_group_grant",
        Any(&[ManageFleet]),
        &["group_id", "user_id", "granted"],
    ),
    // Reader configurations
    ("list_configurations", Any(&[ManageFleet, ViewAudit]), &[]),
    (
        "create_configuration",
        Any(&[ManageFleet]),
        &[
            "connection_id",
            "form[name]",
            "form[currency_1]",
            "form[percentages_1]",
            "form[fixed_amounts_1]",
            "form[threshold_1]",
            "form[reboot_start]",
            "form[reboot_end]",
        ],
    ),
    (
        "update_configuration",
        Any(&[ManageFleet]),
        &[
            "connection_id",
            "id",
            "form[name]",
            "form[currency_2]",
            "form[percentages_2]",
            "form[fixed_amounts_2]",
            "form[threshold_2]",
            "form[reboot_start]",
            "form[reboot_end]",
        ],
    ),
    (
        "delete_configuration",
        Any(&[ManageFleet]),
        &["connection_id", "id"],
    ),
    (
        "copy_configuration_to_default",
        Any(&[ManageFleet]),
        &["connection_id", "id"],
    ),
    (
        "remove_splashscreen",
        Any(&[ManageFleet]),
        &["connection_id", "id", "device_type"],
    ),
    ("location_configuration", Any(&[View]), &["location_id"]),
    (
        "set_location_configuration",
        Any(&[ManageFleet]),
        &["location_id", "configuration_id"],
    ),
    // Payments
    (
        "start_test_charge",
        Any(&[Charge]),
        &[
            "reader_id",
            "amount",
            "currency",
            "description",
            "capture",
            "op",
        ],
    ),
    (
        "present_test_card",
        Any(&[Charge]),
        &["reader_id", "card", "tip", "op"],
    ),
    ("capture_payment", Any(&[Charge]), &["id", "op"]),
    ("cancel_payment", Any(&[Charge]), &["id", "op"]),
    ("refund_payment", Any(&[Charge]), &["id", "amount", "op"]),
    (
        "list_transactions",
        Any(&[View]),
        &[
            "query[status]",
            "query[location]",
            "query[reader]",
            "query[from]",
            "query[to]",
            "query[min]",
            "query[max]",
            "query[currency]",
            "query[card]",
            "query[q]",
            "query[before]",
        ],
    ),
    (
        "transaction_totals",
        Any(&[View]),
        &[
            "query[status]",
            "query[location]",
            "query[from]",
            "query[to]",
            "query[currency]",
        ],
    ),
    ("payment_detail", Any(&[View]), &["id"]),
    (
        "list_webhook_events",
        Any(&[ViewAudit]),
        &["kind", "before"],
    ),
    (
        "reapply_webhook_event",
        Any(&[ManageFleet]),
        &["connection_id", "event_id"],
    ),
    // Alert notifications
    (
        "notification_settings",
        Any(&[ManageFleet, ViewAudit]),
        &["endpoint"],
    ),
    (
        "create_notification_endpoint",
        Any(&[ManageFleet]),
        &["url", "offline", "stuck", "declines", "webhooks"],
    ),
    (
        "update_notification_endpoint",
        Any(&[ManageFleet]),
        &["id", "enabled", "offline", "stuck", "declines", "webhooks"],
    ),
    ("rotate_notification_secret", Any(&[ManageFleet]), &["id"]),
    (
        "revealed_notification_secret",
        Any(&[ManageFleet]),
        &["token"],
    ),
    ("delete_notification_endpoint", Any(&[ManageFleet]), &["id"]),
    ("send_test_notification", Any(&[ManageFleet]), &["id"]),
    (
        "redeliver_notification",
        Any(&[ManageFleet]),
        &["delivery_id"],
    ),
];

/// The names of every registered server function (the path after `/sf/`).
pub fn registered() -> BTreeSet<String> {
    let names: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .filter_map(|(path, _)| path.strip_prefix("/sf/").map(str::to_string))
        .collect();
    assert!(!names.is_empty(), "no server function is registered");
    names
}

/// The rule of a registered function; fails for one without a rule.
pub fn rule(name: &str) -> (Need, &'static [&'static str]) {
    RULES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, need, fields)| (*need, *fields))
        .unwrap_or_else(|| {
            panic!("server function {name} has no access rule in harness::server_fns::RULES")
        })
}

/// A plausible value for a field, so a call gets past reading its arguments to the checks.
pub fn plausible(field: &str) -> &'static str {
    match field.trim_start_matches("query[").trim_end_matches(']') {
        "email" => "someone@example.com",
        "password" | "current_password" | "new_password" | "confirm_password" => {
            "plausible password 1"
        }
        "role" => "admin",
        "scope" => "read",
        "amount" | "min" | "max" => "100",
        "currency" => "usd",
        "hours" => "24",
        "minutes" => "10",
        "granted" | "member" => "true",
        "confirm" => "yes",
        "country" => "US",
        "state" => "CA",
        "city" => "San Francisco",
        "postal_code" => "94105",
        "line1" => "1 Market St",
        "card" => "4242424242424242",
        "secret_key" => "sk_test_plausible1234",
        "webhook_secret" => "whsec_plausible1234",
        "account_id" => "acct_plausible",
        "registration_code" => "simulated-wpe",
        "from" | "to" => "2026-01-01",
        "page" => "1",
        "dir" => "asc",
        "op" => "plausibleop01",
        "next" => "/",
        "url" => "https://hooks.example.com/fleet",
        "offline" | "stuck" | "declines" | "webhooks" | "enabled" => "yes",
        _ => "x",
    }
}

/// Every field of `name` with a plausible value.
pub fn plausible_args(name: &str) -> Vec<(&'static str, &'static str)> {
    rule(name)
        .1
        .iter()
        .map(|field| (*field, plausible(field)))
        .collect()
}
