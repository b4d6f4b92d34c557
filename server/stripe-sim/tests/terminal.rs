//! Locations, readers, connection tokens.

mod common;

use common::*;

const ADDRESS: &[(&str, &str)] = &[
    ("address[line1]", "1 Main"),
    ("address[city]", "Austin"),
    ("address[state]", "TX"),
    ("address[postal_code]", "78701"),
    ("address[country]", "US"),
];

#[tokio::test]
async fn locations_crud_with_address_rules_and_metadata() {
    let sim = start().await;
    let api = sim.new_api();
    let mut form = vec![("display_name", "Store"), ("metadata[store]", "7")];
    form.extend_from_slice(ADDRESS);
    let loc = api.post("/v1/terminal/locations", &form).await.ok();
    let id = loc["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("tml_"));
    assert_eq!(loc["address"]["country"], "US");
    assert_eq!(loc["metadata"]["store"], "7");
    assert_eq!(loc["livemode"], false);

    let r = api
        .post("/v1/terminal/locations", &[("display_name", "x")])
        .await;
    assert_eq!(r.err(400)["code"], "parameter_missing");
    assert_eq!(r.body["error"]["param"], "address");
    let r = api
        .post(
            "/v1/terminal/locations",
            &[
                ("display_name", "x"),
                ("address[country]", "US"),
                ("address[line1]", "1"),
                ("address[city]", "A"),
                ("address[postal_code]", "1"),
            ],
        )
        .await;
    assert_eq!(r.err(400)["param"], "address[state]");
    let r = api
        .post(
            "/v1/terminal/locations",
            &[("display_name", "x"), ("colour", "red")],
        )
        .await;
    assert_eq!(r.err(400)["code"], "parameter_unknown");
    assert_eq!(r.body["error"]["param"], "colour");

    let updated = api
        .post(
            &format!("/v1/terminal/locations/{id}"),
            &[
                ("display_name", "Renamed"),
                ("metadata[store]", ""),
                ("metadata[k]", "v"),
                ("address[line1]", "2 Main"),
            ],
        )
        .await
        .ok();
    assert_eq!(updated["display_name"], "Renamed");
    assert_eq!(updated["metadata"], serde_json::json!({ "k": "v" }));
    assert_eq!(updated["address"]["line1"], "2 Main");
    assert_eq!(updated["address"]["city"], "Austin");
    let cleared = api
        .post(&format!("/v1/terminal/locations/{id}"), &[("metadata", "")])
        .await
        .ok();
    assert_eq!(cleared["metadata"], serde_json::json!({}));
    let r = api
        .post(
            &format!("/v1/terminal/locations/{id}"),
            &[("metadata[k]", &"x".repeat(501))],
        )
        .await;
    assert_eq!(r.err(400)["param"], "metadata[k]");

    assert_eq!(
        api.get(&format!("/v1/terminal/locations/{id}"), &[])
            .await
            .ok()["display_name"],
        "Renamed"
    );
    let deleted = api
        .delete(&format!("/v1/terminal/locations/{id}"))
        .await
        .ok();
    assert_eq!(
        deleted,
        serde_json::json!({ "id": id, "object": "terminal.location", "deleted": true })
    );
    let r = api.get(&format!("/v1/terminal/locations/{id}"), &[]).await;
    let e = r.err(404);
    assert_eq!(e["code"], "resource_missing");
    assert_eq!(e["param"], "id");
    assert_eq!(e["message"], format!("No such terminal.location: '{id}'"));
}

#[tokio::test]
async fn readers_register_list_filter_update_delete() {
    let sim = start().await;
    let api = sim.new_api();
    let loc = api.location().await;
    let wpe = api
        .post(
            "/v1/terminal/readers",
            &[
                ("registration_code", "simulated-wpe"),
                ("location", &loc),
                ("label", "Till 1"),
            ],
        )
        .await
        .ok();
    assert_eq!(wpe["device_type"], "simulated_wisepos_e");
    assert_eq!(wpe["status"], "online");
    assert_eq!(wpe["action"], serde_json::Value::Null);
    assert!(wpe["serial_number"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(wpe["device_sw_version"].is_string() && wpe["ip_address"].is_string());
    let seen = wpe["last_seen_at"].as_i64().expect("last_seen_at");
    assert!(
        (seen / 1000 - now()).abs() < 5,
        "last_seen_at is in milliseconds"
    );
    let s700 = api
        .post(
            "/v1/terminal/readers",
            &[("registration_code", "simulated-s700")],
        )
        .await
        .ok();
    assert_eq!(s700["device_type"], "simulated_stripe_s700");

    let r = api
        .post(
            "/v1/terminal/readers",
            &[("registration_code", "purple-llama-7")],
        )
        .await;
    assert_eq!(r.err(400)["param"], "registration_code");
    let r = api.post("/v1/terminal/readers", &[("label", "x")]).await;
    assert_eq!(r.err(400)["code"], "parameter_missing");
    let r = api
        .post(
            "/v1/terminal/readers",
            &[
                ("registration_code", "simulated-wpe"),
                ("location", "tml_nope"),
            ],
        )
        .await;
    assert_eq!(r.err(404)["code"], "resource_missing");

    let wpe_id = wpe["id"].as_str().expect("id");
    let all = api.get("/v1/terminal/readers", &[]).await.ok();
    assert_eq!(all["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(all["url"], "/v1/terminal/readers");
    let at = api
        .get("/v1/terminal/readers", &[("location", &loc)])
        .await
        .ok();
    assert_eq!(at["data"][0]["id"], wpe["id"]);
    assert_eq!(at["data"].as_array().map(Vec::len), Some(1));
    let by_type = api
        .get(
            "/v1/terminal/readers",
            &[("device_type", "simulated_stripe_s700")],
        )
        .await
        .ok();
    assert_eq!(by_type["data"][0]["id"], s700["id"]);
    let serial = wpe["serial_number"].as_str().expect("serial");
    let by_serial = api
        .get("/v1/terminal/readers", &[("serial_number", serial)])
        .await
        .ok();
    assert_eq!(by_serial["data"][0]["id"], wpe["id"]);
    sim.control(&format!("/readers/{wpe_id}/offline"), serde_json::json!({}))
        .await;
    let offline = api
        .get("/v1/terminal/readers", &[("status", "offline")])
        .await
        .ok();
    assert_eq!(offline["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(offline["data"][0]["status"], "offline");
    let r = api
        .get("/v1/terminal/readers", &[("status", "sleepy")])
        .await;
    assert_eq!(r.err(400)["param"], "status");

    let updated = api
        .post(
            &format!("/v1/terminal/readers/{wpe_id}"),
            &[("label", "Till 9"), ("metadata[lane]", "3")],
        )
        .await
        .ok();
    assert_eq!(updated["label"], "Till 9");
    assert_eq!(updated["metadata"]["lane"], "3");
    let r = api
        .post(
            &format!("/v1/terminal/readers/{wpe_id}"),
            &[("location", &loc)],
        )
        .await;
    assert_eq!(r.err(400)["code"], "parameter_unknown");
    let deleted = api
        .delete(&format!("/v1/terminal/readers/{wpe_id}"))
        .await
        .ok();
    assert_eq!(deleted["deleted"], true);
    let r = api
        .get(&format!("/v1/terminal/readers/{wpe_id}"), &[])
        .await;
    assert_eq!(
        r.err(404)["message"],
        format!("No such terminal.reader: '{wpe_id}'")
    );
}

#[tokio::test]
async fn physical_readers_register_with_issued_codes_once() {
    let sim = start().await;
    let key = new_key();
    let api = sim.api(&key);
    let issued = sim
        .control(
            "/registration_codes",
            serde_json::json!({ "key": key, "device_type": "stripe_s700" }),
        )
        .await;
    let code = issued["registration_code"].as_str().expect("code");
    // Another account cannot use it.
    let r = sim
        .new_api()
        .post("/v1/terminal/readers", &[("registration_code", code)])
        .await;
    assert_eq!(r.status, 400);
    let reader = api
        .post("/v1/terminal/readers", &[("registration_code", code)])
        .await
        .ok();
    assert_eq!(reader["device_type"], "stripe_s700");
    let r = api
        .post("/v1/terminal/readers", &[("registration_code", code)])
        .await;
    assert_eq!(r.status, 400, "codes are single-use");
    // The test helper refuses physical readers.
    let id = reader["id"].as_str().expect("id");
    let pi = api.intent(1000, "manual").await;
    api.process(id, &pi).await.ok();
    assert_eq!(api.present(id, &[]).await.status, 400);
}

#[tokio::test]
async fn connection_tokens() {
    let sim = start().await;
    let api = sim.new_api();
    let t = api.post("/v1/terminal/connection_tokens", &[]).await.ok();
    assert_eq!(t["object"], "terminal.connection_token");
    assert!(t["secret"]
        .as_str()
        .is_some_and(|s| s.starts_with("pst_test_")));
    assert!(t.get("location").is_none());
    let loc = api.location().await;
    let t = api
        .post("/v1/terminal/connection_tokens", &[("location", &loc)])
        .await
        .ok();
    assert_eq!(t["location"], loc.as_str());
    let r = api
        .post(
            "/v1/terminal/connection_tokens",
            &[("location", "tml_nope")],
        )
        .await;
    assert_eq!(r.err(404)["param"], "location");
}
