//! Connected accounts need proof of control: onboarding through us (Account Links and the
//! hosted onboarding), Connect OAuth, or a platform operator's assignment. Typing an id is not
//! proof; one account belongs to one organisation whatever races.

use crate::harness::connect::{
    back_from_stripe, connections, consent, holder_at_stripe, location, oauth_connect, Consent,
};
use crate::harness::fleet::{create_location, location_form, register};
use crate::harness::stripe::{account_of_key, stand_in_client};
use crate::harness::{Browser, TestServer, PLATFORM_KEY};
use app::connections::types::{ConnectionView, ConnectionsView};
use reqwest::StatusCode;

fn connect_of(view: &ConnectionsView) -> Vec<&ConnectionView> {
    view.connections
        .iter()
        .filter(|c| c.kind == app::model::ConnectionKind::Connect)
        .collect()
}

/// Whether the platform may still act on `account` at Stripe.
async fn platform_reaches(s: &TestServer, account: &str) -> bool {
    stand_in_client(s)
        .retrieve_account(&fleet_stripe::Credentials::key(PLATFORM_KEY), account)
        .await
        .is_ok()
}

#[tokio::test]
async fn typing_a_connected_account_id_claims_nothing() {
    let s = TestServer::start().await;
    let owner = s.user("squatter@example.com").await;
    let r = owner
        .call(
            "connect_stripe_account",
            &[("name", "Not mine"), ("account_id", "acct_1SomebodyElses")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "the by-id claim is gone");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM stripe_connections WHERE kind = 'connect'")
            .await,
        0
    );
}

#[tokio::test]
async fn onboarding_through_us_creates_the_account_and_stripe_hosts_its_onboarding() {
    let s = TestServer::start().await;
    let owner = s.user("onboard@example.com").await;
    let outsider = s.user("outsider@example.com").await;
    let (status, err) = owner
        .err(
            "create_stripe_account",
            &[("name", "Airport"), ("country", "Narnia")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let link: String = owner
        .ok(
            "create_stripe_account",
            &[("name", "Airport store"), ("country", "gb")],
        )
        .await;
    assert!(
        link.starts_with(&format!("{}/setup/s/acct_", s.stand_in())),
        "{link}"
    );
    // The account is the organisation's from the start, not yet onboarded.
    let view = connections(&owner).await;
    let store = connect_of(&view)[0].clone();
    assert_eq!(store.proof.as_deref(), Some("onboarding"));
    assert!(!store.onboarded);
    assert!(link.contains(&store.account_id), "{link}");
    // Nobody else can ask for its onboarding link.
    let (status, _) = outsider
        .err("continue_onboarding", &[("connection_id", &store.id)])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let http = holder_at_stripe();
    let page = http.get(&link).send().await.expect("onboarding page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap_or_default()
        .contains("Airport store"));
    // A link opens once; a second visit goes to our refresh URL, which makes a new one.
    let again = http.get(&link).send().await.expect("second visit");
    let refresh = location(&again);
    assert_eq!(
        refresh,
        format!("{}/connect/onboarding/{}/refresh", owner.base, store.id)
    );
    let fresh = back_from_stripe(&owner, &refresh).await;
    assert!(
        fresh.starts_with(&format!("{}/setup/s/", s.stand_in())),
        "the refresh leads to {fresh}, not Stripe's hosted onboarding"
    );
    assert_ne!(fresh, link, "the refresh gives a new link");
    // The refresh page is the organisation's own too.
    let theirs = back_from_stripe(&outsider, &refresh).await;
    assert_eq!(theirs, "/settings/stripe");
    assert!(!connections(&outsider).await.notice.expect("notice").ok);

    let open = http.get(&fresh).send().await.expect("fresh link");
    assert_eq!(open.status(), StatusCode::OK);
    let refused = http
        .post(&fresh)
        .form(&[("business_name", "Airport store")])
        .send()
        .await
        .expect("submit");
    assert_eq!(
        refused.status(),
        StatusCode::BAD_REQUEST,
        "terms not accepted"
    );
    let done = http
        .post(&fresh)
        .form(&[("business_name", "Airport store Ltd"), ("tos", "accepted")])
        .send()
        .await
        .expect("submit");
    let back = location(&done);
    assert_eq!(
        back,
        format!("{}/connect/onboarding/{}/return", owner.base, store.id)
    );
    assert_eq!(back_from_stripe(&owner, &back).await, "/settings/stripe");
    let view = connections(&owner).await;
    assert!(view.notice.clone().expect("notice").ok);
    let store = connect_of(&view)[0].clone();
    assert!(store.onboarded);
    assert_eq!(store.account_name.as_deref(), Some("Airport store Ltd"));
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'stripe.onboarded'")
            .await,
        1
    );
    // It works like any connection: locations and readers on the account, with the platform key.
    let location = create_location(&owner, &store.id, "Gate 4").await;
    let reader = register(&owner, &location, "simulated-wpe", "Gate 4 till").await;
    assert!(reader.starts_with("tmr_"));
}

#[tokio::test]
async fn oauth_connects_an_existing_account_for_the_member_who_asked_only() {
    let s = TestServer::start().await;
    let owner = s.user("holder@example.com").await;
    let other = s.user("other-org@example.com").await;
    let holder_key = "sk_test_store_holder_own_key_1";
    let account = account_of_key(&s, holder_key).await;
    assert!(!platform_reaches(&s, &account).await);

    // Signed out, the callback asks for sign-in and comes back to itself.
    let url: String = owner
        .ok("connect_with_stripe", &[("name", "Harbour")])
        .await;
    let back = consent(&url, Consent::Existing(holder_key)).await;
    let anonymous = s.client();
    let to_login = back_from_stripe(&anonymous, &back).await;
    assert!(to_login.starts_with("/login?next="), "{to_login}");
    assert!(
        to_login.contains("connect%2Foauth%2Fcallback"),
        "{to_login}"
    );
    // Another organisation's member cannot use an answer meant for someone else.
    assert_eq!(back_from_stripe(&other, &back).await, "/settings/stripe");
    let notice = connections(&other).await.notice.expect("notice");
    assert!(
        !notice.ok && notice.text.contains("does not match"),
        "{}",
        notice.text
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM stripe_connections WHERE kind = 'connect'")
            .await,
        0
    );
    // The member who asked gets the account Stripe vouches for.
    assert_eq!(back_from_stripe(&owner, &back).await, "/settings/stripe");
    let view = connections(&owner).await;
    assert!(view.notice.clone().expect("notice").ok);
    let harbour = connect_of(&view)[0].clone();
    assert_eq!(harbour.account_id, account);
    assert_eq!(harbour.proof.as_deref(), Some("oauth"));
    assert!(platform_reaches(&s, &account).await);
    // The same answer cannot be replayed.
    back_from_stripe(&owner, &back).await;
    assert!(!connections(&owner).await.notice.expect("notice").ok);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM stripe_connections WHERE kind = 'connect'")
            .await,
        1
    );
    // Even with a consent of its own, another organisation cannot take a held account.
    let theirs: String = other.ok("connect_with_stripe", &[("name", "Mine")]).await;
    let back = consent(&theirs, Consent::Existing(holder_key)).await;
    back_from_stripe(&other, &back).await;
    let notice = connections(&other).await.notice.expect("notice");
    assert!(
        !notice.ok && notice.text.contains("another organisation"),
        "{}",
        notice.text
    );

    // A holder who says no connects nothing.
    let url: String = owner.ok("connect_with_stripe", &[("name", "No")]).await;
    let back = consent(&url, Consent::Deny).await;
    assert!(back.contains("error=access_denied"), "{back}");
    back_from_stripe(&owner, &back).await;
    let notice = connections(&owner).await.notice.expect("notice");
    assert!(
        !notice.ok && notice.text.contains("denied"),
        "{}",
        notice.text
    );

    // Disconnecting gives the platform's access up at Stripe too.
    let _: () = owner
        .ok("remove_connection", &[("connection_id", &harbour.id)])
        .await;
    assert!(!platform_reaches(&s, &account).await);
}

#[tokio::test]
async fn racing_consents_and_assignments_leave_one_account_with_one_organisation() {
    let s = TestServer::start().await;
    let first = s.user("race-one@example.com").await;
    let second = s.user("race-two@example.com").await;
    let holder_key = "sk_test_raced_holder_key_22";
    let account = account_of_key(&s, holder_key).await;
    // Each organisation's member finishes several consents for the same account; all their
    // answers reach us at once.
    let mut answers = Vec::new();
    for n in 0..8 {
        let b = if n % 2 == 0 { &first } else { &second };
        let url: String = b
            .ok("connect_with_stripe", &[("name", &format!("Claim {n}"))])
            .await;
        answers.push((
            b.clone(),
            consent(&url, Consent::Existing(holder_key)).await,
        ));
    }
    let tasks: Vec<_> = answers
        .into_iter()
        .map(|(b, back)| tokio::spawn(async move { back_from_stripe(&b, &back).await }))
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), "/settings/stripe");
    }
    let held = |sql: &'static str| s.count(sql);
    assert_eq!(
        held("SELECT COUNT(*) FROM stripe_connections WHERE kind = 'connect'").await,
        1
    );
    // Twenty operator assignments of another account to two organisations at once: one wins.
    let other_account = account_of_key(&s, "sk_test_assigned_holder_key_3").await;
    consent_for_platform(&s, &first, "sk_test_assigned_holder_key_3").await;
    let tenants: Vec<String> = sqlx::query_scalar("SELECT id FROM tenants ORDER BY name")
        .fetch_all(&s.state.db.pool)
        .await
        .expect("tenants");
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let state = s.state.clone();
            let tenant = tenants[n % 2].clone();
            let account = other_account.clone();
            tokio::spawn(async move {
                app::connections::ssr::connected_accounts::assign(&state, &tenant, &account, None)
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => won += 1,
            Err(err) => assert!(
                matches!(
                    err,
                    app::error::AppError::Forbidden(_) | app::error::AppError::Invalid { .. }
                ),
                "{err:?}"
            ),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM stripe_connections WHERE kind = 'connect' AND account_id = $1"
        )
        .bind(&other_account)
        .fetch_one(&s.state.db.pool)
        .await
        .expect("count"),
        1
    );
    let _ = account;
}

/// Makes `key`'s account reachable by the platform (a consent that `b` starts but whose
/// answer nobody brings back), as an account connected to the platform elsewhere would be.
async fn consent_for_platform(s: &TestServer, b: &Browser, key: &str) {
    let url: String = b.ok("connect_with_stripe", &[("name", "elsewhere")]).await;
    let back = consent(&url, Consent::Existing(key)).await;
    let code = url::Url::parse(&back)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code");
    stand_in_client(s)
        .oauth_token(
            &s.stand_in(),
            &fleet_stripe::SecretKey::new(PLATFORM_KEY),
            &code,
        )
        .await
        .expect("token");
}

#[tokio::test]
async fn the_operator_assigns_and_releases_accounts_from_the_command_line() {
    let s = TestServer::start().await;
    let owner = s.user("assigned@example.com").await;
    let key = "sk_test_operator_assigned_9";
    let account = account_of_key(&s, key).await;
    let tenant: String = sqlx::query_scalar("SELECT id FROM tenants")
        .fetch_one(&s.state.db.pool)
        .await
        .expect("tenant");
    let data = tempfile::tempdir().expect("tempdir");
    // Run off the test's runtime, which must keep serving the stand-in Stripe meanwhile.
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_terminal-fleet"));
        command
            .args(args)
            .env("DATABASE_URL", &s.database_url)
            .env("FLEET_DATA_DIR", data.path())
            .env("FLEET_STRIPE_API_BASE", s.stand_in())
            .env("FLEET_PLATFORM_KEY", PLATFORM_KEY)
            .env("FLEET_SIMULATOR", "false")
            .env("RUST_LOG", "error");
        tokio::task::spawn_blocking(move || command.output().expect("terminal-fleet runs"))
    };
    // An account the platform cannot reach is refused, whoever vouches for the organisation.
    let refused = run(&[
        "assign-account",
        "--organisation",
        &tenant,
        "--account",
        &account,
    ])
    .await
    .expect("run");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("No such account")
            || String::from_utf8_lossy(&refused.stderr).contains("does not have access"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    consent_for_platform(&s, &owner, key).await;
    let done = run(&[
        "assign-account",
        "--organisation",
        "assigned@example.com Org",
        "--account",
        &account,
        "--name",
        "Depot",
    ])
    .await
    .expect("run");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let view = connections(&owner).await;
    let depot = connect_of(&view)[0].clone();
    assert_eq!(depot.name, "Depot", "the assigned connection's name");
    assert_eq!(
        depot.proof.as_deref(),
        Some("operator"),
        "the assigned connection's proof"
    );
    assert_eq!(depot.account_id, account);
    let released = run(&["release-account", "--account", &account])
        .await
        .expect("run");
    assert!(released.status.success());
    assert!(connect_of(&connections(&owner).await).is_empty());
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'stripe.released_by_operator'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_settings_page_shows_what_stripe_sent_the_member_back_with() {
    let s = TestServer::start().await;
    let owner = s.user("notice@example.com").await;
    let url: String = owner.ok("connect_with_stripe", &[("name", "Pier")]).await;
    let back = consent(&url, Consent::New).await;
    assert_eq!(back_from_stripe(&owner, &back).await, "/settings/stripe");
    let id = owner.notice.lock().expect("notice").clone().expect("an id");
    let landing = format!("/settings/stripe?notice={id}");
    // Every render of the landing page says the same: the server may fetch a page's data more
    // than once while rendering it, and the browser again as it hydrates and goes live.
    for _ in 0..2 {
        let html = owner.get(&landing).await.text().await.expect("page");
        assert!(
            html.contains("Stripe confirmed the account is yours"),
            "the notice is on the page"
        );
    }
    let plain = owner
        .get("/settings/stripe")
        .await
        .text()
        .await
        .expect("page");
    assert!(!plain.contains("Stripe confirmed the account is yours"));
    // The id names a notice of this session only; a link cannot show it, or words, elsewhere.
    let other = s.user("notice-other@example.com").await;
    let theirs = other.get(&landing).await.text().await.expect("page");
    assert!(!theirs.contains("Stripe confirmed the account is yours"));
}

#[tokio::test]
async fn an_organisation_creates_only_a_few_accounts_it_has_not_onboarded() {
    let s = TestServer::start().await;
    let owner = s.user("many-accounts@example.com").await;
    for n in 0..3 {
        let _: String = owner
            .ok(
                "create_stripe_account",
                &[("name", &format!("Store {n}")), ("country", "US")],
            )
            .await;
    }
    let (status, err) = owner
        .err(
            "create_stripe_account",
            &[("name", "Store 3"), ("country", "US")],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{err}");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM stripe_connections WHERE kind = 'connect'")
            .await,
        3,
        "the refused request created no account"
    );
}

#[tokio::test]
async fn the_pages_stripe_sends_members_back_to_need_an_owner_or_admin() {
    let s = TestServer::start().await;
    let owner = s.user("connect-roles@example.com").await;
    let link: String = owner
        .ok(
            "create_stripe_account",
            &[("name", "Roles store"), ("country", "US")],
        )
        .await;
    let id = connections(&owner)
        .await
        .connections
        .iter()
        .find(|c| c.name == "Roles store")
        .map(|c| c.id.clone())
        .expect("connection");
    assert!(link.contains("/setup/s/"));
    let operator =
        crate::harness::members::join(&s, &owner, "connect-op@example.com", "operator").await;
    for page in ["refresh", "return"] {
        let url = format!("{}/connect/onboarding/{id}/{page}", owner.base);
        assert_eq!(
            back_from_stripe(&operator, &url).await,
            "/settings/stripe",
            "{page} sends an operator back to settings, not to Stripe"
        );
        let said = connections(&operator).await.notice.expect("notice");
        assert!(
            !said.ok && said.text.contains("owners and admins"),
            "{page}: {}",
            said.text
        );
    }
}

#[tokio::test]
async fn parallel_creations_make_no_more_accounts_than_the_cap() {
    let s = TestServer::start().await;
    let owner = s.user("racing-creator@example.com").await;
    let attempts = (0..8).map(|n| {
        let owner = &owner;
        async move {
            let name = format!("Racer {n}");
            owner
                .call(
                    "create_stripe_account",
                    &[("name", name.as_str()), ("country", "US")],
                )
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let created = statuses.iter().filter(|s| s.is_success()).count();
    assert_eq!(created, 3, "exactly the cap succeeds: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| s.is_success() || *s == StatusCode::TOO_MANY_REQUESTS),
        "the rest are told to finish one first: {statuses:?}"
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM stripe_connections WHERE kind = 'connect'")
            .await,
        3
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM account_creations").await,
        0,
        "every reservation is given back"
    );
}

#[tokio::test]
async fn a_claim_made_by_typing_an_id_reaches_nothing_and_gives_way_to_proof() {
    let s = TestServer::start().await;
    let squatter = s.user("legacy-squatter@example.com").await;
    let holder = s.user("legacy-holder@example.com").await;
    let key = "sk_test_legacy_claimed_holder_7";
    let account = account_of_key(&s, key).await;
    // A claim as one made by typing the id, before proof was required, is stored.
    let claimed = oauth_connect(&squatter, "Claimed", Consent::Existing(key)).await;
    sqlx::query("UPDATE stripe_connections SET proof = NULL WHERE id = $1")
        .bind(&claimed)
        .execute(&s.state.db.pool)
        .await
        .expect("unverify");
    let view = connections(&squatter).await;
    assert_eq!(connect_of(&view)[0].proof, None, "shown as unverified");

    // Nothing reaches Stripe through it, and its webhooks are not taken.
    let (status, err) = squatter
        .err("create_location", &location_form(&claimed, "Borrowed"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert!(
        err.to_string().contains("claimed by typing its id"),
        "{err}"
    );
    let hook = s
        .client()
        .http
        .post(format!("{}/webhooks/stripe/{claimed}", squatter.base))
        .header("stripe-signature", "t=1,v1=00")
        .body("{}")
        .send()
        .await
        .expect("webhook");
    assert_eq!(hook.status(), StatusCode::FORBIDDEN);

    // The holder proves control: the typed claim gives way, audited where it was.
    let mine = oauth_connect(&holder, "Mine", Consent::Existing(key)).await;
    assert!(connect_of(&connections(&squatter).await).is_empty());
    let held: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT id, proof FROM stripe_connections WHERE account_id = $1 AND kind = 'connect'",
    )
    .bind(&account)
    .fetch_all(&s.state.db.pool)
    .await
    .expect("rows");
    assert_eq!(held, vec![(mine.clone(), Some("oauth".to_string()))]);
    assert_eq!(
        s.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'stripe.unverified_claim_superseded'"
        )
        .await,
        1
    );

    // An organisation's own typed claim becomes proven in place, and usable.
    sqlx::query("UPDATE stripe_connections SET proof = NULL WHERE id = $1")
        .bind(&mine)
        .execute(&s.state.db.pool)
        .await
        .expect("unverify");
    let again = oauth_connect(&holder, "Mine", Consent::Existing(key)).await;
    assert_eq!(again, mine, "the same connection, now proven");
    assert_eq!(
        connect_of(&connections(&holder).await)[0].proof.as_deref(),
        Some("oauth")
    );
    create_location(&holder, &mine, "Proven store").await;
}
