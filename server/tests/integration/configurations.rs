//! Reader configurations: made, changed, chosen for a location and seen on its readers, all at
//! the (simulated) Stripe account; a tip only where the configuration has a tipping screen;
//! splash screens uploaded and previewed through our server; each organisation and role sees
//! only its own.

use crate::harness::fleet::{
    create_location, default_connection, owner_with_reader, reader_detail, register,
};
use crate::harness::members::join;
use crate::harness::{Browser, TestServer};
use app::configurations::types::{
    ConfigurationView, ConfigurationsView, LocationConfigurationView, Source,
};
use reqwest::StatusCode;

/// The form of a configuration tipping in USD (15/18/20 %, 1/2 USD under 10 USD), rebooting
/// 02:00–04:00.
fn tipping_form<'a>(connection: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("connection_id", connection),
        ("form[name]", name),
        ("form[currency_1]", "usd"),
        ("form[percentages_1]", "15, 18, 20"),
        ("form[fixed_amounts_1]", "1, 2"),
        ("form[threshold_1]", "10"),
        ("form[reboot_start]", "2"),
        ("form[reboot_end]", "4"),
    ]
}

async fn configurations(b: &Browser) -> Vec<ConfigurationView> {
    let view: ConfigurationsView = b.ok("list_configurations", &[]).await;
    view.accounts
        .into_iter()
        .flat_map(|a| {
            assert_eq!(a.error, None);
            a.configurations.into_iter().map(|e| e.configuration)
        })
        .collect()
}

async fn find(b: &Browser, id: &str) -> ConfigurationView {
    configurations(b)
        .await
        .into_iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} is not listed"))
}

async fn location_of(s: &TestServer, reader: &str) -> String {
    sqlx::query_scalar("SELECT location_id FROM readers WHERE id = $1")
        .bind(reader)
        .fetch_one(&s.state.db.pool)
        .await
        .expect("reader's location")
}

async fn audited(s: &TestServer, action: &str) -> i64 {
    s.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

#[tokio::test]
async fn an_owner_creates_edits_chooses_and_deletes_a_configuration() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "olga@cfg.example").await;
    let connection = default_connection(&owner).await;
    let location = location_of(&s, &reader).await;

    // Every account has its default, listed even before anything was made.
    let before = configurations(&owner).await;
    assert!(before.iter().any(|c| c.is_account_default), "{before:?}");

    let id: String = owner
        .ok("create_configuration", &tipping_form(&connection, "Cafés"))
        .await;
    let made = find(&owner, &id).await;
    assert_eq!(made.name.as_deref(), Some("Cafés"));
    assert!(!made.is_account_default);
    assert_eq!(made.tipping.len(), 1);
    let usd = &made.tipping[0];
    assert_eq!(
        (
            usd.percentages.clone(),
            usd.fixed_amounts.clone(),
            usd.smart_tip_threshold
        ),
        (vec![15, 18, 20], vec![100, 200], Some(1000))
    );
    assert_eq!(made.reboot_window, Some((2, 4)));

    // A wrong field is reported on itself and nothing is made.
    let (status, err) = owner
        .err(
            "create_configuration",
            &[
                ("connection_id", connection.as_str()),
                ("form[name]", "Bad"),
                ("form[currency_1]", "usd"),
                ("form[percentages_1]", "15, 250"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(err.to_string().contains("percentages_1"), "{err}");

    // Edit: tipping moves to EUR, the reboot window goes.
    let () = owner
        .ok(
            "update_configuration",
            &[
                ("connection_id", connection.as_str()),
                ("id", id.as_str()),
                ("form[name]", "Cafés (EUR)"),
                ("form[currency_1]", "eur"),
                ("form[percentages_1]", "10"),
            ],
        )
        .await;
    let edited = find(&owner, &id).await;
    assert_eq!(edited.name.as_deref(), Some("Cafés (EUR)"));
    assert!(
        edited.tips_in("eur") && !edited.tips_in("usd"),
        "{edited:?}"
    );
    assert_eq!(edited.reboot_window, None);

    // The location uses the account default until it picks the configuration.
    let panel: LocationConfigurationView = owner
        .ok(
            "location_configuration",
            &[("location_id", location.as_str())],
        )
        .await;
    assert_eq!(panel.in_force.source, Source::AccountDefault);
    assert!(panel.choices.iter().any(|(c, _)| *c == id));
    let () = owner
        .ok(
            "set_location_configuration",
            &[
                ("location_id", location.as_str()),
                ("configuration_id", id.as_str()),
            ],
        )
        .await;
    let mirrored: Option<String> =
        sqlx::query_scalar("SELECT configuration_override FROM locations WHERE id = $1")
            .bind(&location)
            .fetch_one(&s.state.db.pool)
            .await
            .expect("location");
    assert_eq!(mirrored.as_deref(), Some(id.as_str()));
    let page = reader_detail(&owner, &reader).await;
    assert!(
        matches!(&page.configuration.source, Source::Location { id: l, .. } if *l == location),
        "{:?}",
        page.configuration
    );
    assert_eq!(
        page.configuration
            .configuration
            .as_ref()
            .map(|c| c.id.clone()),
        Some(id.clone())
    );
    assert!(page.configuration.may_tip("eur") && !page.configuration.may_tip("usd"));

    // In use, it cannot be deleted; the default never can.
    let (status, _) = owner
        .err(
            "delete_configuration",
            &[("connection_id", connection.as_str()), ("id", id.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let default_id = configurations(&owner)
        .await
        .into_iter()
        .find(|c| c.is_account_default)
        .expect("default")
        .id;
    let (status, _) = owner
        .err(
            "delete_configuration",
            &[
                ("connection_id", connection.as_str()),
                ("id", default_id.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // "Make it the account default" copies its settings into the default.
    let () = owner
        .ok(
            "copy_configuration_to_default",
            &[("connection_id", connection.as_str()), ("id", id.as_str())],
        )
        .await;
    let default = find(&owner, &default_id).await;
    assert!(default.tips_in("eur"), "{default:?}");

    // Back to the default, then deleted.
    let () = owner
        .ok(
            "set_location_configuration",
            &[("location_id", location.as_str()), ("configuration_id", "")],
        )
        .await;
    let page = reader_detail(&owner, &reader).await;
    assert_eq!(page.configuration.source, Source::AccountDefault);
    assert_eq!(
        page.configuration.configuration.map(|c| c.id),
        Some(default_id)
    );
    let () = owner
        .ok(
            "delete_configuration",
            &[("connection_id", connection.as_str()), ("id", id.as_str())],
        )
        .await;
    assert!(configurations(&owner).await.iter().all(|c| c.id != id));

    for action in [
        "configuration.created",
        "configuration.updated",
        "configuration.copied_to_default",
        "configuration.deleted",
    ] {
        assert_eq!(audited(&s, action).await, 1, "{action}");
    }
    assert_eq!(audited(&s, "location.configuration_changed").await, 2);
}

#[tokio::test]
async fn a_tip_is_added_only_where_the_configuration_shows_a_tipping_screen() {
    let s = TestServer::start().await;
    let (owner, reader) = owner_with_reader(&s, "tia@cfg.example").await;
    let connection = default_connection(&owner).await;
    let location = location_of(&s, &reader).await;

    let op = app::payments::ssr::payments_service::new_operation();
    crate::harness::payments::charge(&owner, &reader, "10", "automatic", &op).await;
    assert!(!reader_detail(&owner, &reader)
        .await
        .configuration
        .may_tip("usd"));
    let (status, err) = owner
        .err(
            "present_test_card",
            &[
                ("reader_id", reader.as_str()),
                ("card", "4242424242424242"),
                ("tip", "2"),
                ("op", op.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(err.to_string().contains("tipping screen"), "{err}");
    let () = owner
        .ok("cancel_reader_action", &[("id", reader.as_str())])
        .await;

    let id: String = owner
        .ok("create_configuration", &tipping_form(&connection, "Tips"))
        .await;
    let () = owner
        .ok(
            "set_location_configuration",
            &[
                ("location_id", location.as_str()),
                ("configuration_id", id.as_str()),
            ],
        )
        .await;
    let op = app::payments::ssr::payments_service::new_operation();
    let payment = crate::harness::payments::charge(&owner, &reader, "10", "automatic", &op).await;
    assert!(reader_detail(&owner, &reader)
        .await
        .configuration
        .may_tip("usd"));
    let () = owner
        .ok(
            "present_test_card",
            &[
                ("reader_id", reader.as_str()),
                ("card", "4242424242424242"),
                ("tip", "2"),
                ("op", op.as_str()),
            ],
        )
        .await;
    crate::harness::wait::eventually("the tipped payment succeeded", 10, || async {
        let p = crate::harness::payments::payment_detail(&owner, &payment).await;
        p.payment.status == "succeeded" && p.payment.amount_received == 1200
    })
    .await;
}

#[tokio::test]
async fn operators_see_the_configuration_of_their_locations_only_and_change_nothing() {
    let s = TestServer::start().await;
    let owner = s.user("omar@cfg.example").await;
    let connection = default_connection(&owner).await;
    let mine = create_location(&owner, &connection, "Granted").await;
    let other = create_location(&owner, &connection, "Not granted").await;
    register(&owner, &mine, "simulated-wpe", "Till").await;
    let id: String = owner
        .ok("create_configuration", &tipping_form(&connection, "Tips"))
        .await;
    let operator = join(&s, &owner, "opal@cfg.example", "operator").await;
    let operator_id = operator.me().await.expect("operator").user_id;
    let () = owner
        .ok(
            "set_location_grant",
            &[
                ("location_id", mine.as_str()),
                ("user_id", operator_id.as_str()),
                ("granted", "true"),
            ],
        )
        .await;

    let (status, _) = operator.err("list_configurations", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let panel: LocationConfigurationView = operator
        .ok("location_configuration", &[("location_id", mine.as_str())])
        .await;
    assert!(!panel.can_manage && panel.choices.is_empty());
    assert!(panel.in_force.configuration.is_some());
    let (status, _) = operator
        .err("location_configuration", &[("location_id", other.as_str())])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (name, args) in [
        (
            "set_location_configuration",
            vec![
                ("location_id", mine.as_str()),
                ("configuration_id", id.as_str()),
            ],
        ),
        (
            "delete_configuration",
            vec![("connection_id", connection.as_str()), ("id", id.as_str())],
        ),
    ] {
        let (status, _) = operator.err(name, &args).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    // Auditors read every configuration, and change none.
    let auditor = join(&s, &owner, "aude@cfg.example", "auditor").await;
    assert!(configurations(&auditor).await.iter().any(|c| c.id == id));
    let (status, _) = auditor
        .err(
            "update_configuration",
            &[
                ("connection_id", connection.as_str()),
                ("id", id.as_str()),
                ("form[name]", "Mine"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Posts the splash form as a browser does; returns where it sends the browser.
async fn upload(b: &Browser, connection: &str, id: &str, bytes: Vec<u8>) -> String {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("splash.png");
    let form = reqwest::multipart::Form::new()
        .text("connection_id", connection.to_string())
        .text("id", id.to_string())
        .text("device_type", "bbpos_wisepos_e")
        .part("file", part);
    let r = b
        .http
        .post(format!("{}/configurations/splash", b.base))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    crate::harness::connect::location(&r)
}

#[tokio::test]
async fn a_splash_screen_is_uploaded_and_previewed_within_its_organisation_only() {
    let s = TestServer::start().await;
    let owner = s.user("sara@cfg.example").await;
    let connection = default_connection(&owner).await;
    let id: String = owner
        .ok(
            "create_configuration",
            &tipping_form(&connection, "Branded"),
        )
        .await;

    let back = upload(&owner, &connection, &id, PNG.to_vec()).await;
    assert!(back.contains("splash=saved"), "{back}");
    let made = find(&owner, &id).await;
    let file = made
        .splash_for("bbpos_wisepos_e")
        .expect("splash screen set")
        .file_id
        .clone();
    let preview = format!("/configurations/{connection}/splash/{file}");
    let r = owner.get(&preview).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), PNG);
    assert_eq!(audited(&s, "configuration.splash_uploaded").await, 1);

    // Wrong type, too large: said clearly, nothing uploaded.
    let back = upload(&owner, &connection, &id, b"%PDF-1.4 not an image".to_vec()).await;
    assert!(back.contains("splash=not_an_image"), "{back}");
    let mut big = PNG.to_vec();
    big.resize(app::configurations::types::MAX_SPLASH_BYTES + 1, 0);
    let back = upload(&owner, &connection, &id, big).await;
    assert!(back.contains("splash=too_large"), "{back}");
    assert_eq!(audited(&s, "configuration.splash_uploaded").await, 1);

    // Another organisation reaches neither the preview nor the configuration.
    let stranger = s.user("stan@other.example").await;
    let theirs = default_connection(&stranger).await;
    assert_eq!(stranger.get(&preview).await.status(), StatusCode::NOT_FOUND);
    let r = stranger
        .get(&format!("/configurations/{theirs}/splash/{file}"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let back = upload(&stranger, &connection, &id, PNG.to_vec()).await;
    assert!(back.contains("splash=forbidden"), "{back}");
    let back = upload(&stranger, &theirs, &id, PNG.to_vec()).await;
    assert!(back.contains("splash=forbidden"), "{back}");
    let (status, _) = stranger
        .err(
            "update_configuration",
            &[
                ("connection_id", theirs.as_str()),
                ("id", id.as_str()),
                ("form[name]", "Mine"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(find(&owner, &id).await.name.as_deref(), Some("Branded"));

    // Operators have no preview; signed-out visitors neither.
    let operator = join(&s, &owner, "otto@cfg.example", "operator").await;
    assert_eq!(operator.get(&preview).await.status(), StatusCode::FORBIDDEN);
    let anonymous = s.client();
    assert_eq!(
        anonymous.get(&preview).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The splash screen can be removed again.
    let () = owner
        .ok(
            "remove_splashscreen",
            &[
                ("connection_id", connection.as_str()),
                ("id", id.as_str()),
                ("device_type", "bbpos_wisepos_e"),
            ],
        )
        .await;
    assert!(find(&owner, &id).await.splash.is_empty());
}
