//! Server-rendered pages: redirects, statuses and what a person sees before any JavaScript runs.

use crate::harness::fleet::default_connection;
use crate::harness::members::join;
use crate::harness::{Browser, TestServer};
use app::members::types::InviteCreated;
use reqwest::StatusCode;

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let s = TestServer::start().await;
    let b = s.client();
    let r = b.get("/").await;
    let status = r.status();
    assert!(status.is_redirection(), "{status} {:?}", r.headers());
    assert_eq!(r.headers()["location"], "/login");
    let r = b.get("/audit").await;
    assert_eq!(r.headers()["location"], "/login?next=/audit");
    let html = page(&b, "/login").await;
    assert!(
        html.contains(r#"<label for="email">Email</label>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"action="/sf/sign_in""#),
        "the form posts without JavaScript"
    );
}

#[tokio::test]
async fn unknown_pages_are_404_and_forbidden_pages_are_403() {
    let s = TestServer::start().await;
    let owner = s.user("pages@example.com").await;
    let r = owner.get("/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.expect("html").contains("Page not found"));
    let op = join(&s, &owner, "pop@example.com", "operator").await;
    let r = op.get("/audit").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.expect("html");
    assert!(html.contains("Not allowed"));
    assert!(
        !html.contains(r#"href="/audit""#),
        "operators get no Audit link"
    );
    let r = owner.get("/audit").await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(html.contains("tenant.created"));
}

#[tokio::test]
async fn a_page_is_rendered_once_and_sends_no_data_for_hydration() {
    let s = TestServer::start().await;
    let owner = s.user("once@example.com").await;
    let html = owner.get("/readers").await.text().await.expect("html");
    // Pages are the server's alone (islands): their data is rendered, never sent along for the
    // browser to render again.
    assert_eq!(html.matches("device_types").count(), 0, "{html}");
    assert_eq!(html.matches("<h1>Readers</h1>").count(), 1, "{html}");
    assert_eq!(
        html.matches(r#"<div id="readers" data-live="readers locations""#)
            .count(),
        1,
        "{html}"
    );
    // Settings shows who is signed in from the frame's one load of the user.
    let html = page(&owner, "/settings").await;
    assert!(html.contains("<dd>once@example.com</dd>"), "{html}");
    assert!(html.contains(r#"id="org-name""#), "an owner may rename");
}

#[tokio::test]
async fn a_plain_form_post_signs_in_and_redirects() {
    let s = TestServer::start().await;
    s.user("form@example.com").await;
    let b = s.client();
    let r = b
        .http
        .post(format!("{}/sf/sign_in", s.base))
        .header("accept", "text/html")
        .header("referer", format!("{}/login", s.base))
        .form(&[
            ("email", "form@example.com"),
            ("password", crate::harness::PASSWORD),
            ("next", "/settings"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"], "/settings");
    let r = b.get("/settings").await;
    assert_eq!(r.status(), StatusCode::OK);
    // A failed plain post returns to the form with the error encoded for the page to show.
    let r = s
        .client()
        .http
        .post(format!("{}/sf/sign_in", s.base))
        .header("accept", "text/html")
        .header("referer", format!("{}/login", s.base))
        .form(&[
            ("email", "form@example.com"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FOUND);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.contains("__err="), "{location}");
    let r = s.client().get(location.trim_start_matches(&s.base)).await;
    let html = r.text().await.expect("html");
    assert!(
        html.contains("The email or password is incorrect."),
        "{html}"
    );
}

#[tokio::test]
async fn pages_and_answers_are_compressed_but_live_streams_are_not() {
    let s = TestServer::start().await;
    let owner = s.user("compress@example.com").await;
    let (headers, html) = brotli_get(&owner, "/readers", "text/html").await;
    assert_eq!(headers["cache-control"], "no-store");
    assert!(html.contains("<h1>Readers</h1>"));

    let answer = owner
        .http
        .post(format!("{}/sf/list_readers", s.base))
        .header("accept", "application/json")
        .header("accept-encoding", "gzip")
        .form(&Vec::<(String, String)>::new())
        .send()
        .await
        .expect("server function");
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(answer.headers()["content-encoding"], "gzip");
    let gz = answer.bytes().await.expect("body");
    assert_eq!(&gz[..2], &[0x1f, 0x8b], "a gzip stream");

    // A streamed export ends cleanly through the compressor too.
    let (_, csv) = brotli_get(&owner, "/audit.csv", "text/csv").await;
    assert!(csv.contains("tenant.created"));

    // Each live message must reach the browser at once, not when a compressor's buffer fills.
    let stream = owner
        .http
        .get(format!("{}/events", s.base))
        .header("accept", "text/event-stream")
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers().get("content-encoding").is_none());
    // Routed outside the compression layer, the stream still carries every response's headers.
    assert_eq!(stream.headers()["x-content-type-options"], "nosniff");
    assert_eq!(stream.headers()["x-frame-options"], "DENY");
    assert_eq!(stream.headers()["referrer-policy"], "same-origin");
    assert!(stream.headers().get("content-security-policy").is_some());
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
}

#[tokio::test]
async fn the_audit_pages_link_keeps_the_filters_on_the_next_page() {
    let s = TestServer::start().await;
    // A `+` in the filter must survive the round trip through the link.
    let owner = s.user("pager+audit@example.com").await;
    let me = owner.me().await.expect("me");
    let now = app::ssr::ids::now_ms();
    // 55 entries the filter keeps, and newer ones it leaves out (another actor, another action).
    for (i, (actor, action)) in
        std::iter::repeat_n(("pager+audit@example.com", "reader.relabeled"), 55)
            .chain(std::iter::repeat_n(
                ("other@example.com", "reader.relabeled"),
                3,
            ))
            .chain(std::iter::repeat_n(
                ("pager+audit@example.com", "reader.deleted"),
                3,
            ))
            .enumerate()
    {
        sqlx::query(
            "INSERT INTO audit_log (id, tenant_id, actor_email, action, target_type, target_id, at)
             VALUES ($1, $2, $3, $4, 'reader', $5, $6)",
        )
        .bind(format!("aud_pager_{i:02}"))
        .bind(&me.tenant.id)
        .bind(actor)
        .bind(action)
        .bind(format!("tmr_{i}"))
        .bind(now - 100_000 + i as i64)
        .execute(&s.state.db.pool)
        .await
        .expect("audit entry");
    }
    let filtered = "/audit?actor=pager%2Baudit%40example%2Ecom&action=reader%2Erelabeled";
    let first = page(&owner, filtered).await;
    assert_eq!(first.matches("<code>reader.relabeled</code>").count(), 50);
    assert!(!first.contains("other@example.com"), "the actor filter");
    assert!(
        first.contains(
            r#"href="/audit.csv?actor=pager%2Baudit%40example%2Ecom&action=reader%2Erelabeled""#
        ),
        "the export keeps the filters"
    );
    assert!(
        !first.contains(">Newest</a>"),
        "the first page is the newest"
    );
    let older = link(&first, &format!("{filtered}&before=")).expect("a link to older entries");
    let second = page(&owner, &older).await;
    assert_eq!(second.matches("<code>reader.relabeled</code>").count(), 5);
    assert!(
        !second.contains("other@example.com"),
        "the actor filter is kept"
    );
    assert!(second.contains(r#"value="pager+audit@example.com""#));
    assert!(
        link(&second, &format!("{filtered}&before=")).is_none(),
        "the last page"
    );
    assert!(
        second.contains(&format!(r#"href="{filtered}" class="button">Newest</a>"#)),
        "Newest keeps the filters"
    );
}

#[tokio::test]
async fn the_events_pages_link_keeps_the_type_on_the_next_page() {
    let s = TestServer::start().await;
    let owner = s.user("pager-events@example.com").await;
    let me = owner.me().await.expect("me");
    let connection = default_connection(&owner).await;
    let now = app::ssr::ids::now_ms();
    // Applied already, so the webhook queue leaves them alone; the newest are of another type.
    for i in 0..58 {
        let kind = if i < 55 {
            "payment_intent.succeeded"
        } else {
            "charge.refunded"
        };
        sqlx::query(
            "INSERT INTO webhook_events (connection_id, id, tenant_id, type, payload, received_at,
               processed_at, outcome, attempts)
             VALUES ($1, $2, $3, $4, '{}', $5, $5, 'ignored', 1)",
        )
        .bind(&connection)
        .bind(format!("evt_pager_{i:02}"))
        .bind(&me.tenant.id)
        .bind(kind)
        .bind(now - 100_000 + i)
        .execute(&s.state.db.pool)
        .await
        .expect("event");
    }
    // As the link encodes it: every character but letters and digits.
    let filtered = "/webhook-events?kind=payment%5Fintent%2Esucceeded";
    let first = page(&owner, filtered).await;
    assert_eq!(
        first
            .matches("<code>payment_intent.succeeded</code>")
            .count(),
        50
    );
    assert!(!first.contains("charge.refunded"), "the type filter");
    assert!(
        !first.contains(">Newest</a>"),
        "the first page is the newest"
    );
    let older = link(&first, &format!("{filtered}&before=")).expect("a link to older events");
    let second = page(&owner, &older).await;
    assert_eq!(
        second
            .matches("<code>payment_intent.succeeded</code>")
            .count(),
        5
    );
    assert!(
        !second.contains("charge.refunded"),
        "the type filter is kept"
    );
    assert!(second.contains(r#"value="payment_intent.succeeded""#));
    assert!(
        link(&second, &format!("{filtered}&before=")).is_none(),
        "the last page"
    );
    assert!(
        second.contains(&format!(r#"href="{filtered}" class="button">Newest</a>"#)),
        "Newest keeps the type"
    );
}

#[tokio::test]
async fn an_invites_sign_up_link_carries_the_address_encoded() {
    let s = TestServer::start().await;
    let owner = s.user("inviter@example.com").await;
    let invite: InviteCreated = owner
        .ok(
            "invite_member",
            &[("email", "new+member@example.com"), ("role", "operator")],
        )
        .await;
    let path = invite.link.trim_start_matches(&s.base).to_string();
    let html = page(&s.client(), &path).await;
    assert!(
        html.contains("&email=new%2Bmember%40example%2Ecom\""),
        "{html}"
    );
}

/// The page at `path`, a 200, with attribute escapes undone so links read as typed.
async fn page(b: &Browser, path: &str) -> String {
    let r = b.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    readable(&r.text().await.expect("html"))
}

/// The markup as a person reads it: without the empty comments (`<!>`) Leptos' type-erased views
/// leave after dynamic parts for hydration, and with `&` unescaped.
fn readable(html: &str) -> String {
    html.replace("<!>", "").replace("&amp;", "&")
}

/// The first link on `html` that starts with `prefix`.
fn link(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(&format!(r#"href="{prefix}"#))? + r#"href=""#.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_string())
}

/// GETs `path` asking for brotli; asserts a 200 that came brotli-encoded and returns its headers
/// and the decoded text (read to the end, so a body that breaks off fails here).
async fn brotli_get(
    b: &crate::harness::Browser,
    path: &str,
    accept: &str,
) -> (reqwest::header::HeaderMap, String) {
    let r = b
        .http
        .get(format!("{}{path}", b.base))
        .header("accept", accept)
        .header("accept-encoding", "br")
        .send()
        .await
        .expect(path);
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(r.headers()["content-encoding"], "br", "{path}");
    let headers = r.headers().clone();
    let body = r.bytes().await.expect("the whole body");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut brotli::Decompressor::new(&body[..], 4096), &mut plain)
        .expect("brotli");
    (headers, String::from_utf8_lossy(&plain).into_owned())
}
