//! File uploads (`POST /v1/files`, multipart): the `file` object, its bytes served at its
//! `url`, Stripe's checks for splash screens, the per-account byte cap, and Connect scoping.

mod common;

use common::*;
use fleet_stripe_sim::SimConfig;

fn jpg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len, 0);
    bytes
}

fn gif(len: usize) -> Vec<u8> {
    let mut bytes = b"GIF89a".to_vec();
    bytes.resize(len, 0);
    bytes
}

#[tokio::test]
async fn uploads_are_files_served_at_their_url() {
    let sim = start().await;
    let api = sim.new_api();
    let bytes = png(3000);
    let file = api
        .upload("terminal_reader_splashscreen", "splash.png", bytes.clone())
        .await
        .ok();
    let id = file["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("file_"));
    assert_eq!(file["object"], "file");
    assert_eq!(file["purpose"], "terminal_reader_splashscreen");
    assert_eq!(file["size"], 3000);
    assert_eq!(file["type"], "png");
    assert_eq!(file["filename"], "splash.png");
    assert!(file["expires_at"].is_null());
    assert!(file["title"].is_null());
    assert_eq!(file["links"]["object"], "list");
    assert_eq!(file["links"]["url"], format!("/v1/file_links?file={id}"));
    let url = file["url"].as_str().expect("url");
    assert_eq!(url, format!("{}/v1/files/{id}/contents", sim.base));
    assert!(file["created"].as_i64().is_some_and(|c| c > 0));

    // The bytes, with the key, as files.stripe.com serves them.
    let got = sim
        .http
        .get(url)
        .bearer_auth(&api.key)
        .send()
        .await
        .expect("contents");
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), bytes);
    let anonymous = sim.http.get(url).send().await.expect("contents");
    assert_eq!(anonymous.status(), 401);
    let stranger = sim
        .http
        .get(url)
        .bearer_auth(new_key())
        .send()
        .await
        .expect("contents");
    assert_eq!(stranger.status(), 404);

    assert_eq!(api.get(&format!("/v1/files/{id}"), &[]).await.ok(), file);
    api.upload("terminal_reader_splashscreen", "s.jpg", jpg(500))
        .await
        .ok();
    api.upload(
        "terminal_reader_splashscreen",
        "s.gif",
        gif(3 * 1024 * 1024),
    )
    .await
    .ok();
    let logo = api.upload("business_logo", "logo.png", png(10)).await.ok();
    let all = api.get("/v1/files", &[]).await.ok();
    assert_eq!(all["url"], "/v1/files");
    let types: Vec<&str> = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|f| f["type"].as_str())
        .collect();
    assert_eq!(types, vec!["png", "gif", "jpg", "png"], "newest first");
    let splashes = api
        .get(
            "/v1/files",
            &[("purpose", "terminal_reader_splashscreen"), ("limit", "2")],
        )
        .await
        .ok();
    assert_eq!(splashes["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(splashes["has_more"], true);
    assert!(splashes["data"]
        .as_array()
        .expect("data")
        .iter()
        .all(|f| f["id"] != logo["id"]));
    let r = api.get("/v1/files", &[("purpose", "holiday_photos")]).await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_string"));
}

#[tokio::test]
async fn stripes_checks_on_uploads() {
    let sim = start().await;
    let api = sim.new_api();
    let r = api.upload("holiday_photos", "a.png", png(10)).await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_string"));
    assert_eq!(r.body["error"]["param"], "purpose");
    // Files Stripe makes itself cannot be uploaded.
    let r = api
        .upload("finance_report_run", "a.csv", b"a,b".to_vec())
        .await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_string"));
    let r = api.upload("", "a.png", png(10)).await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_empty"));

    // Splash screens: images only, JPG and PNG under 2 MB, GIF under 4 MB.
    let r = api
        .upload(
            "terminal_reader_splashscreen",
            "doc.pdf",
            b"%PDF-1.4 x".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["param"], "file");
    assert_eq!(r.body["error"]["type"], "invalid_request_error");
    let r = api
        .upload(
            "terminal_reader_splashscreen",
            "notes.txt",
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .upload(
            "terminal_reader_splashscreen",
            "big.png",
            png(2 * 1024 * 1024),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("2 MB")));
    let r = api
        .upload(
            "terminal_reader_splashscreen",
            "big.jpg",
            jpg(2 * 1024 * 1024 + 1),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .upload(
            "terminal_reader_splashscreen",
            "big.gif",
            gif(4 * 1024 * 1024),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("4 MB")));
    // The same document is fine for a purpose that takes documents.
    api.upload("dispute_evidence", "doc.pdf", b"%PDF-1.4 x".to_vec())
        .await
        .ok();
    let r = api
        .upload("terminal_reader_splashscreen", "empty.png", Vec::new())
        .await;
    assert_eq!(r.status, 400);

    // Without the file part, or not as multipart.
    let r = api
        .post("/v1/files", &[("purpose", "terminal_reader_splashscreen")])
        .await;
    assert_eq!((r.status, r.code()), (400, "parameter_missing"));
    assert_eq!(r.body["error"]["param"], "file");
    let r = api
        .post(
            "/v1/files",
            &[("purpose", "terminal_reader_splashscreen"), ("file", "abc")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["param"], "file");
    let r = api.post("/v1/files", &[("file", "abc")]).await;
    assert_eq!((r.status, r.code()), (400, "parameter_missing"));
    assert_eq!(r.body["error"]["param"], "purpose");
    let r = api
        .post(
            "/v1/files",
            &[("purpose", "dispute_evidence"), ("colour", "red")],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "parameter_unknown"));

    let r = api.get("/v1/files/file_nope", &[]).await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    assert_eq!(
        r.body["error"]["message"],
        "No such file upload: 'file_nope'"
    );
}

#[tokio::test]
async fn file_links_are_not_made() {
    let sim = start().await;
    let api = sim.new_api();
    let form = reqwest::multipart::Form::new()
        .text("purpose", "business_logo")
        .text("file_link_data[create]", "true")
        .part(
            "file",
            reqwest::multipart::Part::bytes(png(10)).file_name("l.png"),
        );
    let r = sim
        .http
        .post(format!("{}/v1/files", sim.base))
        .bearer_auth(&api.key)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["param"], "file_link_data[create]");
}

#[tokio::test]
async fn each_account_keeps_a_bounded_number_of_bytes() {
    let sim = start_with(SimConfig {
        rate_limit: None,
        file_bytes_per_account: 10_000,
        ..SimConfig::default()
    })
    .await;
    let api = sim.new_api();
    api.upload("terminal_reader_splashscreen", "a.png", png(6000))
        .await
        .ok();
    let r = api
        .upload("terminal_reader_splashscreen", "b.png", png(6000))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("file_bytes_per_account")));
    // Another account has its own allowance.
    sim.new_api()
        .upload("terminal_reader_splashscreen", "b.png", png(6000))
        .await
        .ok();
    api.upload("terminal_reader_splashscreen", "c.png", png(4000))
        .await
        .ok();
}

#[tokio::test]
async fn files_stay_on_their_account() {
    let sim = start().await;
    let platform = sim.new_api();
    let acct = platform
        .post("/v1/accounts", &[("type", "standard"), ("country", "US")])
        .await
        .ok();
    let connected = platform.on(acct["id"].as_str().expect("id"));
    let file = connected
        .upload("terminal_reader_splashscreen", "s.png", png(100))
        .await
        .ok();
    let id = file["id"].as_str().expect("id");
    let r = platform.get(&format!("/v1/files/{id}"), &[]).await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    assert_eq!(
        platform.get("/v1/files", &[]).await.ok()["data"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(
        connected.get(&format!("/v1/files/{id}"), &[]).await.ok(),
        file
    );
    let contents = sim
        .http
        .get(file["url"].as_str().expect("url"))
        .bearer_auth(&platform.key)
        .header("Stripe-Account", acct["id"].as_str().expect("id"))
        .send()
        .await
        .expect("contents");
    assert_eq!(contents.status(), 200);
}
