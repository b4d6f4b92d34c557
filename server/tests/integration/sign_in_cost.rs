//! What a stranger can cost: password hashing under a cap, sign-in throttles exact under
//! concurrency, sign-ups per address and organisations per user.

use crate::harness::{message, TestServer, PASSWORD};
use reqwest::{header::RETRY_AFTER, StatusCode};
use server::config::{AccountLimits, Config};
use std::time::Duration;

async fn server_with(limits: AccountLimits) -> TestServer {
    TestServer::start_with(Some(Box::new(move |c: Config| Config {
        accounts: limits,
        ..c
    })))
    .await
}

/// Fires every call at once, each from its own browser; returns each answer's status, whether
/// it carried `Retry-After`, and its body.
async fn all_at_once(
    s: &TestServer,
    name: &'static str,
    forms: Vec<Vec<(String, String)>>,
) -> Vec<(StatusCode, bool, String)> {
    let calls = forms.into_iter().map(|form| {
        let b = s.client();
        tokio::spawn(async move {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = b.call(name, &form).await;
            let retry_after = r.headers().contains_key(RETRY_AFTER);
            (r.status(), retry_after, r.text().await.unwrap_or_default())
        })
    });
    futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("call task"))
        .collect()
}

fn sign_in_form(email: &str, password: &str) -> Vec<(String, String)> {
    vec![
        ("email".into(), email.into()),
        ("password".into(), password.into()),
    ]
}

/// The statuses of a burst, for a failing assertion's message.
fn statuses(answers: &[(StatusCode, bool, String)]) -> String {
    answers
        .iter()
        .map(|a| a.0.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn count(answers: &[(StatusCode, bool, String)], status: StatusCode) -> usize {
    answers.iter().filter(|a| a.0 == status).count()
}

async fn failed_sign_ins(s: &TestServer) -> i64 {
    s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.sign_in_failed'")
        .await
}

#[tokio::test]
async fn a_burst_of_sign_ins_never_hashes_beyond_the_cap_and_the_excess_gets_503_with_retry_after()
{
    let s = server_with(AccountLimits {
        hash_concurrency: 2,
        hash_wait: Duration::from_millis(50),
        ..AccountLimits::default()
    })
    .await;
    // Distinct unknown emails, fewer than the per-address limit: only the cap can refuse them.
    let forms = (0..28)
        .map(|i| sign_in_form(&format!("nobody{i}@example.com"), "not the password"))
        .collect();
    let answers = all_at_once(&s, "sign_in", forms).await;

    let wrong = count(&answers, StatusCode::BAD_REQUEST);
    let busy: Vec<_> = answers
        .iter()
        .filter(|a| a.0 == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(wrong + busy.len(), answers.len(), "{}", statuses(&answers));
    assert!(!busy.is_empty(), "nothing waited long enough to be refused");
    for (_, retry_after, body) in &busy {
        assert!(retry_after, "503 without Retry-After: {body}");
        let err: serde_json::Value = serde_json::from_str(body).expect("error JSON");
        assert!(
            message(&err).contains("Try again in a few seconds"),
            "{body}"
        );
    }
    assert!(
        s.state.hashing.peak() <= 2,
        "peak {}",
        s.state.hashing.peak()
    );
    assert_eq!(s.state.hashing.evaluated(), wrong as u64);
    // A refused sign-in was never checked, so it counts against nobody.
    assert_eq!(failed_sign_ins(&s).await, wrong as i64);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM login_attempts").await,
        wrong as i64
    );
}

/// Generous waits: here every sign-in let through must be checked, whatever the machine's load.
fn patient() -> AccountLimits {
    AccountLimits {
        hash_wait: Duration::from_secs(60),
        ..AccountLimits::default()
    }
}

#[tokio::test]
async fn fifty_parallel_wrong_passwords_for_one_email_check_exactly_five() {
    let s = server_with(patient()).await;
    s.user("ida@example.com").await;
    let before = s.state.hashing.evaluated();
    let forms = (0..50)
        .map(|_| sign_in_form("ida@example.com", "not the password"))
        .collect();
    let answers = all_at_once(&s, "sign_in", forms).await;

    assert_eq!(
        count(&answers, StatusCode::BAD_REQUEST),
        5,
        "{}",
        statuses(&answers)
    );
    assert_eq!(
        count(&answers, StatusCode::TOO_MANY_REQUESTS),
        45,
        "{}",
        statuses(&answers)
    );
    assert!(answers
        .iter()
        .filter(|a| a.0 == StatusCode::TOO_MANY_REQUESTS)
        .all(|a| a.1 && a.2.contains("Too many failed sign-in attempts")));
    assert_eq!(failed_sign_ins(&s).await, 5);
    assert_eq!(s.state.hashing.evaluated() - before, 5);
    // The right password is refused too while throttled: the limit is not an oracle.
    let (status, _) = s
        .client()
        .err(
            "sign_in",
            &[("email", "ida@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn fifty_parallel_sign_ins_from_one_address_check_exactly_thirty() {
    let s = server_with(patient()).await;
    let forms = (0..50)
        .map(|i| sign_in_form(&format!("guess{i}@example.com"), "not the password"))
        .collect();
    let answers = all_at_once(&s, "sign_in", forms).await;

    assert_eq!(
        count(&answers, StatusCode::BAD_REQUEST),
        30,
        "{}",
        statuses(&answers)
    );
    assert_eq!(
        count(&answers, StatusCode::TOO_MANY_REQUESTS),
        20,
        "{}",
        statuses(&answers)
    );
    assert_eq!(failed_sign_ins(&s).await, 30);
    assert_eq!(s.state.hashing.evaluated(), 30);
}

#[tokio::test]
async fn a_successful_sign_in_does_not_count_as_a_failure() {
    let s = server_with(patient()).await;
    s.user("jon@example.com").await;
    let b = s.client();
    for _ in 0..4 {
        let (status, _) = b
            .err(
                "sign_in",
                &[
                    ("email", "jon@example.com"),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    for _ in 0..3 {
        let r = s
            .client()
            .call(
                "sign_in",
                &[("email", "jon@example.com"), ("password", PASSWORD)],
            )
            .await;
        assert!(r.status().is_success(), "{}", r.status());
    }
    // Four failures and three successes: one failure is still allowed.
    let (status, _) = b
        .err(
            "sign_in",
            &[
                ("email", "jon@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

fn sign_up_form(email: &str) -> Vec<(String, String)> {
    vec![
        ("email".into(), email.into()),
        ("password".into(), PASSWORD.into()),
        ("organisation".into(), format!("{email} Org")),
    ]
}

#[tokio::test]
async fn sign_ups_from_one_address_are_throttled_exactly() {
    let s = server_with(AccountLimits {
        sign_ups_per_hour: 3,
        ..patient()
    })
    .await;
    let forms = (0..10)
        .map(|i| sign_up_form(&format!("new{i}@example.com")))
        .collect();
    let answers = all_at_once(&s, "sign_up", forms).await;

    let created = answers.iter().filter(|a| a.0.is_success()).count();
    assert_eq!(created, 3, "{}", statuses(&answers));
    let throttled: Vec<_> = answers
        .iter()
        .filter(|a| a.0 == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(throttled.len(), 7, "{}", statuses(&answers));
    for (_, retry_after, body) in throttled {
        assert!(retry_after, "429 without Retry-After: {body}");
        assert!(
            body.contains("Too many accounts were created from your network address"),
            "{body}"
        );
    }
    assert_eq!(s.count("SELECT COUNT(*) FROM users").await, 3);
    assert_eq!(s.count("SELECT COUNT(*) FROM tenants").await, 3);
    // Refused sign-ups cost no hash.
    assert_eq!(s.state.hashing.evaluated(), 3);
}

#[tokio::test]
async fn organisations_per_user_are_capped_also_under_concurrency() {
    let s = server_with(AccountLimits {
        organisations_per_user: 3,
        ..AccountLimits::default()
    })
    .await;
    let b = s.user("kim@example.com").await;
    let creations = (0..5).map(|i| {
        let b = b.clone();
        tokio::spawn(async move {
            let name = format!("Store {i}");
            let r = b.call("create_tenant", &[("name", &name)]).await;
            (r.status(), r.text().await.unwrap_or_default())
        })
    });
    let answers: Vec<_> = futures::future::join_all(creations)
        .await
        .into_iter()
        .map(|r| r.expect("call task"))
        .collect();
    // The sign-up's organisation plus two more reach the cap of three.
    assert_eq!(
        answers.iter().filter(|a| a.0.is_success()).count(),
        2,
        "{answers:?}"
    );
    for (status, body) in answers.iter().filter(|a| !a.0.is_success()) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("one account may own at most 3"), "{body}");
    }
    assert_eq!(s.count("SELECT COUNT(*) FROM tenants").await, 3);
    // Settings → Create organisation says the same.
    let (status, err) = b.err("create_tenant", &[("name", "One more")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        message(&err),
        "You already own 3 organisations; one account may own at most 3."
    );
}
