//! Hostile input to every registered server function and every operation the OpenAPI document
//! lists: huge, unicode, control and metacharacter values in every field, wrong types, malformed
//! encodings, empty and oversized bodies, signed in and signed out. A person's bad input is a 4xx
//! with a short message; nothing is ever a 5xx, an empty error, a dropped connection or a panic.

use crate::harness::server_fns::{plausible, plausible_args, registered, rule};
use crate::harness::{Browser, TestServer};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, REFERER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Larger than the 64 KiB the error path once choked on.
const HUGE_CHARS: usize = 70_000;
/// A URL is at most 64 KiB on the client's side, so paths and queries get less.
const HUGE_URL_CHARS: usize = 30_000;
/// The largest error answer that still counts as short.
const MAX_ERROR_BYTES: usize = 16 * 1024;
const FORM: &str = "application/x-www-form-urlencoded";

fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("blank", "   \t ".into()),
        (
            "unicode",
            "Zoë 🚀 Ж 中文 ﷽ \u{202e}gnp.exe \u{200d}\u{fe0f} 𝕏 \u{10ffff}".into(),
        ),
        ("control", "a\0b\x01\x07\x1b[31m\r\n\t\x7f\u{85}".into()),
        ("sql", "' OR '1'='1'; DROP TABLE users; --".into()),
        ("like", "%_\\%\\_[]^".into()),
        (
            "html",
            "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&amp;".into(),
        ),
        ("format", "%s%n%x{0}{{}}${jndi:ldap://x}{{7*7}}".into()),
        ("path", "../../../etc/passwd\\..\\%2e%2e/".into()),
        ("big number", "-99999999999999999999999999".into()),
        ("float", "1e309".into()),
        ("nan", "NaN".into()),
        ("negative", "-1".into()),
        ("url", "https://evil.example/?x=1#y".into()),
        ("protocol-relative", "//evil.example".into()),
    ]
}

/// Counts panics on this thread, where a current-thread test runtime runs the server's tasks.
fn count_panics_here() -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let here = std::thread::current().id();
    let seen = count.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == here {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
    count
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

struct Probe {
    label: String,
    body: Vec<u8>,
    content_type: &'static str,
    /// A plain HTML form post: errors travel in the redirect's URL.
    as_form_post: bool,
    expect: Option<StatusCode>,
}

impl Probe {
    fn new(label: impl Into<String>, body: Vec<u8>) -> Probe {
        Probe {
            label: label.into(),
            body,
            content_type: FORM,
            as_form_post: false,
            expect: None,
        }
    }
}

/// Every hostile body for a function reading `fields`.
fn probes(fields: &[&str]) -> Vec<Probe> {
    let plausible_with = |field: &str, value: &str| -> Vec<u8> {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (*f, if *f == field { value } else { plausible(f) }))
            .collect();
        form(&pairs)
    };
    let all =
        |value: &str| -> Vec<u8> { form(&fields.iter().map(|f| (*f, value)).collect::<Vec<_>>()) };
    let mut probes = vec![
        Probe::new("empty body", Vec::new()),
        Probe::new("plausible", plausible_with("", "")),
        Probe::new(
            "malformed urlencoding",
            fields
                .iter()
                .map(|f| format!("{f}=%zz%E0%A4%A&%%%=%"))
                .chain(["&&==&=x&%".to_string()])
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes(),
        ),
        Probe::new("invalid utf-8", {
            let mut body = Vec::new();
            for f in fields {
                body.extend_from_slice(f.as_bytes());
                body.extend_from_slice(b"=\xff\xfe\xc0\xaf\xed\xa0\x80&");
            }
            body.extend_from_slice(b"\xff=\xfe");
            body
        }),
        Probe {
            content_type: "application/json",
            ..Probe::new(
                "json instead of a form",
                serde_json::to_vec(&Value::Object(
                    fields
                        .iter()
                        .map(|f| (f.to_string(), json!({"a": [1, null]})))
                        .collect(),
                ))
                .unwrap_or_default(),
            )
        },
        Probe::new(
            "brackets",
            fields
                .iter()
                .map(|f| format!("{0}[]=1&{0}[x][y]=2&{0}=3", enc(f)))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes(),
        ),
        Probe::new(
            "deep nesting",
            b"a[b][c][d][e][f][g][h][i][j]=1&query[a][b][c][d][e][f][g]=1&query=1".to_vec(),
        ),
        Probe::new(
            "repeated fields",
            [plausible_with("", ""), b"&".to_vec(), all("second")].concat(),
        ),
        Probe {
            expect: Some(StatusCode::PAYLOAD_TOO_LARGE),
            ..Probe::new(
                "300 KB body",
                format!("a={}", "x".repeat(300_000)).into_bytes(),
            )
        },
    ];
    for (label, value) in hostile_values() {
        probes.push(Probe::new(format!("{label} in every field"), all(&value)));
    }
    let huge = "x".repeat(HUGE_CHARS);
    let huge_unicode: String = "é\u{202e}🚀<'\"".chars().cycle().take(20_000).collect();
    for field in fields {
        probes.push(Probe::new(
            format!("{HUGE_CHARS} characters in {field}"),
            plausible_with(field, &huge),
        ));
        probes.push(Probe::new(
            format!("long unicode in {field}"),
            plausible_with(field, &huge_unicode),
        ));
        probes.push(Probe {
            as_form_post: true,
            ..Probe::new(
                format!("{HUGE_CHARS} characters in {field}, as a plain form post"),
                plausible_with(field, &huge),
            )
        });
        probes.push(Probe::new(
            format!("control characters in {field}"),
            plausible_with(field, "\0\r\n\x1b"),
        ));
    }
    probes
}

/// What was wrong with one answer, if anything.
fn judge(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    expect: Option<StatusCode>,
) -> Option<String> {
    let text = || String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    if status.is_server_error() {
        return Some(format!("{status} {}", text()));
    }
    if let Some(expected) = expect {
        if status != expected {
            return Some(format!("{status} instead of {expected}: {}", text()));
        }
    }
    if status.is_client_error() {
        if body.is_empty() {
            return Some(format!("{status} with an empty body"));
        }
        if body.len() > MAX_ERROR_BYTES {
            return Some(format!("{status} with a {} byte body", body.len()));
        }
    }
    if let Some(location) = headers.get(reqwest::header::LOCATION) {
        if location.len() > MAX_ERROR_BYTES {
            return Some(format!(
                "{status} redirecting to a {} byte URL",
                location.len()
            ));
        }
    }
    None
}

async fn send(
    http: &reqwest::Client,
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, HeaderMap, Vec<u8>), String> {
    let request = request
        .build()
        .map_err(|e| format!("could not build: {}", e.without_url()))?;
    let response = http
        .execute(request)
        .await
        .map_err(|e| format!("no answer: {}", e.without_url()))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("answer cut off: {e}"))?;
    Ok((status, headers, body.to_vec()))
}

/// Server functions that change who is signed in or where: called last, so the rest run in
/// the signed-in owner's organisation.
const SESSION_CHANGING: &[&str] = &[
    "accept_invite",
    "change_password",
    "create_tenant",
    "open_store",
    "switch_tenant",
    "sign_up",
    "sign_in",
    "sign_out",
];

async fn fuzz_server_functions(s: &TestServer, who: &str) -> (usize, Vec<String>) {
    let mut browser: Option<Browser> = match who {
        "owner" => Some(s.user("owner@fuzz.example").await),
        _ => None,
    };
    let anonymous = s.client();
    let mut names: Vec<String> = registered().into_iter().collect();
    names.sort_by_key(|n| SESSION_CHANGING.contains(&n.as_str()));
    let mut failures = Vec::new();
    let mut sent = 0;
    let mut owners = 0;
    for name in names {
        let (_, fields) = rule(&name);
        let b = browser.as_ref().unwrap_or(&anonymous).clone();
        for probe in probes(fields) {
            let mut request = b
                .http
                .post(format!("{}/sf/{name}", b.base))
                .header(CONTENT_TYPE, probe.content_type)
                .body(probe.body);
            request = if probe.as_form_post {
                request
                    .header(ACCEPT, "text/html,application/xhtml+xml")
                    .header(REFERER, format!("{}/settings", b.base))
            } else {
                request.header(ACCEPT, "application/json")
            };
            sent += 1;
            let verdict = match send(&b.http, request).await {
                Ok((status, headers, body)) => judge(status, &headers, &body, probe.expect),
                Err(err) => Some(err),
            };
            if let Some(wrong) = verdict {
                failures.push(format!("{who} {name} ({}): {wrong}", probe.label));
            }
        }
        // A probe may have signed the owner out (sign_out, a password change): carry on as a
        // new owner so the functions after it are still reached signed in.
        if who == "owner" && b.me().await.is_none() {
            owners += 1;
            browser = Some(s.user(&format!("owner{owners}@fuzz.example")).await);
        }
    }
    (sent, failures)
}

#[tokio::test]
async fn hostile_input_to_every_server_function_is_never_a_server_error() {
    let panics = count_panics_here();
    let started = std::time::Instant::now();
    let s = TestServer::start().await;
    let ((owner_sent, owner_failures), (anon_sent, anon_failures)) = tokio::join!(
        fuzz_server_functions(&s, "owner"),
        fuzz_server_functions(&s, "signed-out")
    );
    let failures: Vec<_> = owner_failures.into_iter().chain(anon_failures).collect();
    eprintln!(
        "{} hostile server function calls in {:?}",
        owner_sent + anon_sent,
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} answers were wrong:\n{}",
        failures.len(),
        owner_sent + anon_sent,
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(panics.load(Ordering::SeqCst), 0, "the server panicked");
}

/// A value of the schema's type, so one hostile property at a time meets valid neighbours.
fn plausible_json(name: &str, schema: &Value, reader: &str) -> Value {
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match (name, schema["type"].as_str()) {
        ("reader", _) => json!(reader),
        ("currency", _) => json!("usd"),
        ("card_number", _) => json!("4242424242424242"),
        (_, Some("integer")) => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        (_, Some("boolean")) => json!(false),
        _ => json!("x"),
    }
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => reference
            .strip_prefix("#/")
            .map(|path| path.split('/').fold(doc, |node, part| &node[part]))
            .unwrap_or(schema),
        None => schema,
    }
}

struct ApiProbe {
    label: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, Vec<u8>)>,
    body: Option<Vec<u8>>,
    content_type: &'static str,
    auth: Option<Vec<u8>>,
}

fn wrong_json_values() -> Vec<(&'static str, Value)> {
    let mut values: Vec<(&'static str, Value)> = vec![
        ("null", Value::Null),
        ("true", json!(true)),
        ("zero", json!(0)),
        ("negative", json!(-1)),
        ("i64 max", json!(i64::MAX)),
        ("u64 max", json!(u64::MAX)),
        ("fraction", json!(1.5)),
        ("array", json!([1, "two", null])),
        ("object", json!({"nested": {"deeper": [{}]}})),
        ("number as text", json!("100")),
        ("huge text", json!("x".repeat(HUGE_CHARS))),
    ];
    for (label, value) in hostile_values() {
        values.push((label, json!(value)));
    }
    values
}

/// Every hostile variant of one operation.
fn api_probes(
    doc: &Value,
    template: &str,
    op: &Value,
    shared: &[Value],
    key: &str,
    reader: &str,
) -> Vec<ApiProbe> {
    let params: Vec<&Value> = shared
        .iter()
        .chain(op["parameters"].as_array().into_iter().flatten())
        .collect();
    let path_with = |name: &str, value: &str| -> String {
        let mut path = template.to_string();
        for p in params.iter().filter(|p| p["in"] == "path") {
            let pname = p["name"].as_str().unwrap_or_default();
            let fill = if pname == name {
                enc(value)
            } else if template.contains("readers") {
                reader.to_string()
            } else {
                "pi_fuzz_unknown".to_string()
            };
            path = path.replace(&format!("{{{pname}}}"), &fill);
        }
        format!("/api/v1{path}")
    };
    let body_schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
    let body_schema = resolve(doc, &body_schema).clone();
    let properties: Vec<(String, Value)> = body_schema["properties"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let plausible_body = |name: &str, value: Option<Value>| -> Option<Vec<u8>> {
        if body_schema.is_null() {
            return None;
        }
        let mut object = serde_json::Map::new();
        for (pname, schema) in &properties {
            let v = match (&value, pname == name) {
                (Some(v), true) => v.clone(),
                _ => plausible_json(pname, schema, reader),
            };
            object.insert(pname.clone(), v);
        }
        serde_json::to_vec(&Value::Object(object)).ok()
    };
    let base = |label: String| ApiProbe {
        label,
        path: path_with("", ""),
        query: Vec::new(),
        headers: Vec::new(),
        body: plausible_body("", None),
        content_type: "application/json",
        auth: Some(format!("Bearer {key}").into_bytes()),
    };
    let mut hostile: Vec<(String, String)> = hostile_values()
        .into_iter()
        .map(|(l, v)| (l.to_string(), v))
        .collect();
    hostile.push(("huge".into(), "x".repeat(HUGE_URL_CHARS)));
    hostile.push(("long".into(), "y".repeat(2_000)));

    let mut probes = vec![base("plausible".into())];
    for p in &params {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        for (label, value) in &hostile {
            let label = format!("{label} in {} {name}", p["in"].as_str().unwrap_or_default());
            match p["in"].as_str() {
                Some("path") => probes.push(ApiProbe {
                    path: path_with(&name, value),
                    ..base(label)
                }),
                Some("query") => probes.push(ApiProbe {
                    query: vec![(name.clone(), value.clone())],
                    ..base(label)
                }),
                Some("header") => probes.push(ApiProbe {
                    headers: vec![(name.clone(), value.clone().into_bytes())],
                    ..base(label)
                }),
                _ => {}
            }
        }
        if p["in"] == "query" {
            probes.push(ApiProbe {
                query: vec![
                    (format!("{name}[]"), "1".into()),
                    (name.clone(), "a".into()),
                    (name.clone(), "b".into()),
                ],
                ..base(format!("repeated query {name}"))
            });
        }
        if p["in"] == "header" {
            probes.push(ApiProbe {
                headers: vec![(name.clone(), b"\xff\xfe obs-text \x80".to_vec())],
                ..base(format!("non-ASCII header {name}"))
            });
        }
    }
    if !body_schema.is_null() {
        for (label, raw) in [
            ("empty body", &b""[..]),
            ("truncated json", b"{\"amount\": 1"),
            ("not json", b"amount=1&reader=x"),
            ("top-level array", b"[1, 2, 3]"),
            ("top-level string", b"\"payment\""),
            (
                "invalid utf-8",
                b"{\"description\": \"\xff\xfe\xed\xa0\x80\"}",
            ),
            ("number overflow", b"{\"amount\": 1e400}"),
            ("duplicate keys", b"{\"amount\": 1, \"amount\": 2}"),
            ("nul in json", b"{\"amount\"\x00: 1}"),
        ] {
            probes.push(ApiProbe {
                body: Some(raw.to_vec()),
                ..base(label.into())
            });
        }
        probes.push(ApiProbe {
            body: Some(format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
            ..base("deeply nested json".into())
        });
        probes.push(ApiProbe {
            body: Some(format!("{{\"description\": \"{}\"}}", "x".repeat(1_200_000)).into_bytes()),
            ..base("1.2 MB body".into())
        });
        probes.push(ApiProbe {
            content_type: FORM,
            ..base("form content type".into())
        });
        probes.push(ApiProbe {
            body: plausible_body("", None).map(|b| {
                let mut v: Value = serde_json::from_slice(&b).unwrap_or_default();
                v["unknown_field"] = json!("<script>");
                serde_json::to_vec(&v).unwrap_or_default()
            }),
            ..base("unknown field".into())
        });
        for (name, _) in &properties {
            for (label, value) in wrong_json_values() {
                probes.push(ApiProbe {
                    body: plausible_body(name, Some(value)),
                    ..base(format!("{label} in body {name}"))
                });
            }
        }
    }
    for (label, auth) in [
        ("no key", None),
        ("unknown key", Some(b"Bearer tfk_not_a_key".to_vec())),
        (
            "huge key",
            Some(format!("Bearer tfk_{}", "k".repeat(HUGE_CHARS)).into_bytes()),
        ),
        ("non-ASCII key", Some(b"Bearer tfk_\xff\xfe\x80".to_vec())),
        ("basic auth", Some(b"Basic dGZrXzE6".to_vec())),
        ("empty bearer", Some(b"Bearer ".to_vec())),
    ] {
        probes.push(ApiProbe {
            auth,
            ..base(label.into())
        });
    }
    probes
}

#[tokio::test]
async fn hostile_input_to_every_api_operation_is_never_a_server_error() {
    let panics = count_panics_here();
    let started = std::time::Instant::now();
    // The rate limit is tested elsewhere; here it would only turn probes into 429s.
    let tweak: crate::harness::Tweak = Box::new(|config| server::config::Config {
        api_rate: server::api::RateLimit {
            per_second: std::num::NonZeroU32::new(100_000).unwrap_or(std::num::NonZeroU32::MIN),
        },
        ..config
    });
    let s = TestServer::start_with(Some(tweak)).await;
    let owner = s.user("owner@api-fuzz.example").await;
    let connections: app::connections::types::ConnectionsView =
        owner.ok("list_connections", &[]).await;
    let connection = connections
        .connections
        .first()
        .expect("connection")
        .id
        .clone();
    let location = crate::harness::fleet::create_location(&owner, &connection, "Fuzz St").await;
    let reader =
        crate::harness::fleet::register(&owner, &location, "simulated-wpe", "Fuzz till").await;
    let key = crate::harness::pos::create_key(&owner, "fuzz", "payments")
        .await
        .secret;

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let doc: Value = http
        .get(format!("{}/api/v1/openapi.json", s.base))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("openapi json");
    let mut failures = Vec::new();
    let mut sent = 0;
    let mut operations = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for method in ["get", "post", "put", "patch", "delete"] {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            operations += 1;
            let verb = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            for probe in api_probes(&doc, template, op, &shared, &key, &reader) {
                let mut request = http
                    .request(verb.clone(), format!("{}{}", s.base, probe.path))
                    .query(&probe.query)
                    .header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
                for (name, value) in &probe.headers {
                    if let Ok(value) = HeaderValue::from_bytes(value) {
                        request = request.header(name.as_str(), value);
                    }
                }
                if let Some(auth) = probe
                    .auth
                    .as_ref()
                    .and_then(|a| HeaderValue::from_bytes(a).ok())
                {
                    request = request.header(AUTHORIZATION, auth);
                }
                if let Some(body) = probe.body {
                    request = request.header(CONTENT_TYPE, probe.content_type).body(body);
                }
                sent += 1;
                let verdict = match send(&http, request).await {
                    Ok((status, headers, body)) => judge(status, &headers, &body, None),
                    Err(err) => Some(err),
                };
                if let Some(wrong) = verdict {
                    failures.push(format!(
                        "{} {template} ({}): {wrong}",
                        method.to_uppercase(),
                        probe.label
                    ));
                }
            }
        }
    }
    eprintln!(
        "{sent} hostile API calls to {operations} operations in {:?}",
        started.elapsed()
    );
    assert!(
        operations >= 9,
        "only {operations} operations in the document"
    );
    assert!(
        failures.is_empty(),
        "{} of {sent} answers were wrong:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(panics.load(Ordering::SeqCst), 0, "the server panicked");
}

/// The cases the issue named: each quoted its 66,000-character input back, and the answer grew
/// past what the status middleware reads, so a user's mistake became an empty 500.
#[tokio::test]
async fn a_66000_character_field_is_a_400_with_a_short_message() {
    let s = TestServer::start().await;
    let owner = s.user("long@fuzz.example").await;
    let long = "s".repeat(66_000);
    for (name, field) in [
        ("create_api_key", "scope"),
        ("sign_up", "email"),
        ("sign_up", "organisation"),
        ("list_transactions", "query[status]"),
        ("list_transactions", "query[from]"),
        ("list_readers", "query[sort]"),
        ("list_readers", "query[status]"),
        ("list_audit", "from"),
        ("grant_support_access", "email"),
        ("grant_support_access", "hours"),
    ] {
        let mut args = plausible_args(name);
        for arg in args.iter_mut().filter(|(f, _)| *f == field) {
            arg.1 = &long;
        }
        let b = if name == "sign_up" {
            s.client()
        } else {
            owner.clone()
        };
        let r = b.call(name, &args).await;
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{name} {field}: {body:.300}"
        );
        let text = crate::harness::message(&serde_json::from_str(&body).unwrap_or_default());
        assert!(
            !text.is_empty() && body.len() < 1_000,
            "{name} {field}: a {} byte answer: {body:.300}",
            body.len()
        );
    }
}
