use crate::harness::{message, session_cookie, TestServer, PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn sign_up_signs_in_and_creates_an_owned_tenant() {
    let s = TestServer::start().await;
    let b = s.user("ann@example.com").await;
    let me = b.me().await.expect("signed in");
    assert_eq!(me.email, "ann@example.com");
    assert_eq!(me.tenant.role, app::model::Role::Owner);
    assert_eq!(me.tenant.name, "ann@example.com Org");
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.signed_up'")
            .await,
        1
    );
}

#[tokio::test]
async fn sign_up_rejects_weak_passwords_and_duplicates_without_creating_anything() {
    let s = TestServer::start().await;
    let b = s.client();
    let (status, err) = b
        .err(
            "sign_up",
            &[("email", "bob@example.com"), ("password", "short")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("at least 10 characters"), "{err}");
    let (status, err) = b
        .err(
            "sign_up",
            &[
                ("email", "bob@example.com"),
                ("password", "BOB@example.com"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("must not be your email"), "{err}");
    let (status, _) = b
        .err(
            "sign_up",
            &[("email", "not-an-email"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(s.count("SELECT COUNT(*) FROM users").await, 0);
    s.user("bob@example.com").await;
    let (status, err) = s
        .client()
        .err(
            "sign_up",
            &[("email", "Bob@Example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(message(&err).contains("already exists"));
    assert_eq!(s.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(s.count("SELECT COUNT(*) FROM tenants").await, 1);
}

#[tokio::test]
async fn password_is_stored_as_argon2id_at_owasp_parameters() {
    let s = TestServer::start().await;
    s.user("hash@example.com").await;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&s.state.db.pool)
        .await
        .expect("hash");
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert_eq!(app::ssr::passwords::params_of(&stored), Some((19456, 2, 1)));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let s = TestServer::start().await;
    s.user("carl@example.com").await;
    let b = s.client();
    let (s1, e1) = b
        .err(
            "sign_in",
            &[
                ("email", "carl@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    let (s2, e2) = b
        .err(
            "sign_in",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(s1, StatusCode::BAD_REQUEST);
    assert_eq!(s1, s2);
    assert_eq!(e1, e2);
    assert_eq!(message(&e1), "The email or password is incorrect.");
    assert!(b.me().await.is_none());
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.sign_in_failed'")
            .await,
        2
    );
}

#[tokio::test]
async fn login_logout_and_session_cookie_flags() {
    let s = TestServer::start().await;
    s.user("dana@example.com").await;
    let b = s.client();
    let r = b
        .call(
            "sign_in",
            &[("email", "dana@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(r.status().is_success(), "sign_in: {}", r.status());
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fleet_session="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "development cookies are not Secure: {cookie}"
    );
    assert!(
        cookie.contains("Max-Age") || cookie.contains("Expires"),
        "idle expiry: {cookie}"
    );
    assert_eq!(
        b.me().await.map(|m| m.email).as_deref(),
        Some("dana@example.com")
    );
    let r = b.call("sign_out", &[]).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert!(b.me().await.is_none());
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.signed_out'")
            .await,
        1
    );
}

#[tokio::test]
async fn session_id_is_cycled_at_login_and_the_old_one_is_dead() {
    let s = TestServer::start().await;
    let first = s.client();
    let r = first
        .call(
            "sign_up",
            &[("email", "eve@example.com"), ("password", PASSWORD)],
        )
        .await;
    let before = session_cookie(&r).expect("cookie at sign-up");
    let r = first
        .call(
            "sign_in",
            &[("email", "eve@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(r.status().is_success(), "sign_in: {}", r.status());
    let after = session_cookie(&r).expect("cookie at sign-in");
    assert_ne!(before, after, "the session id must change at login");
    // A client holding only the old cookie is signed out.
    let stale = reqwest::Client::builder().build().expect("client");
    let r = stale
        .post(format!("{}/sf/current_user", s.base))
        .header("origin", &s.base)
        .header("cookie", &before)
        .send()
        .await
        .expect("request");
    assert_eq!(r.text().await.expect("body"), "null");
}

#[tokio::test]
async fn repeated_failures_for_one_email_are_throttled() {
    let s = TestServer::start().await;
    s.user("fay@example.com").await;
    let b = s.client();
    for _ in 0..5 {
        let (status, _) = b
            .err(
                "sign_in",
                &[
                    ("email", "fay@example.com"),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    // Even the right password is refused while throttled: the limit is not an oracle.
    let (status, err) = b
        .err(
            "sign_in",
            &[("email", "fay@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        message(&err).contains("Too many failed sign-in attempts"),
        "{err}"
    );
    // Another account from another address is unaffected.
    s.user("gus@example.com").await;
}

#[tokio::test]
async fn repeated_failures_from_one_ip_are_throttled_across_emails() {
    let s = TestServer::start().await;
    let b = s.client();
    let limit = s.state.settings.throttle_per_ip;
    for i in 0..limit {
        let email = format!("nobody{i}@example.com");
        let (status, _) = b
            .err(
                "sign_in",
                &[("email", &email), ("password", "whatever password")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, _) = b
        .err(
            "sign_in",
            &[
                ("email", "fresh@example.com"),
                ("password", "whatever password"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let s = TestServer::start().await;
    s.user("hal@example.com").await;
    let evil = s.client_with_origin(Some("http://evil.example"));
    let (status, err) = evil
        .err(
            "sign_in",
            &[("email", "hal@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&err).contains("did not come from a Terminal Fleet page"));
    let none = s.client_with_origin(None);
    let (status, _) = none
        .err(
            "sign_in",
            &[("email", "hal@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A Referer of this site is accepted when Origin is absent.
    let r = none
        .http
        .post(format!("{}/sf/sign_in", s.base))
        .header("referer", format!("{}/login", s.base))
        .form(&[("email", "hal@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert!(r.status().is_success(), "{}", r.status());
    // Nothing was recorded for the refused attempts.
    assert_eq!(s.count("SELECT COUNT(*) FROM login_attempts").await, 1);
}

#[tokio::test]
async fn password_change_revokes_every_other_session() {
    let s = TestServer::start().await;
    let laptop = s.user("ivy@example.com").await;
    let phone = s.client();
    let r = phone
        .call(
            "sign_in",
            &[("email", "ivy@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(r.status().is_success(), "sign_in: {}", r.status());
    assert!(phone.me().await.is_some());
    let (status, err) = laptop
        .err(
            "change_password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a new long password"),
                ("confirm_password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&err).contains("current password"));
    let () = laptop
        .ok(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new long password"),
                ("confirm_password", "a new long password"),
            ],
        )
        .await;
    assert!(
        laptop.me().await.is_some(),
        "the session that changed the password stays"
    );
    assert!(phone.me().await.is_none(), "other sessions are revoked");
    let (status, _) = s
        .client()
        .err(
            "sign_in",
            &[("email", "ivy@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = s
        .client()
        .call(
            "sign_in",
            &[
                ("email", "ivy@example.com"),
                ("password", "a new long password"),
            ],
        )
        .await;
    assert!(r.status().is_success(), "sign_in: {}", r.status());
}

#[tokio::test]
async fn idle_sessions_expire() {
    let s = TestServer::start().await;
    let b = s.user("idle@example.com").await;
    assert!(b.me().await.is_some());
    // Every request pushes the expiry forward; an idle one has it in the past.
    sqlx::query("UPDATE sessions SET expiry_date = $1")
        .bind(app::ssr::ids::now_ms() - 1)
        .execute(&s.state.db.pool)
        .await
        .expect("age sessions");
    // Ageing the row stands in for time passing, which also ends what the server cached.
    s.state.bus.cache().forget_all();
    assert!(b.me().await.is_none());
}
