//! Terminal configurations: the account default Stripe provisions, create / retrieve / update /
//! delete / list, Stripe's errors for unknown and bad parameters, splash screens naming
//! uploaded files, locations' `configuration_overrides`, and Connect scoping.

mod common;

use common::*;

async fn splash(api: &Api) -> String {
    let file = api
        .upload("terminal_reader_splashscreen", "splash.png", png(4096))
        .await
        .ok();
    file["id"].as_str().expect("file").to_string()
}

#[tokio::test]
async fn every_account_has_a_default_that_cannot_be_deleted() {
    let sim = start().await;
    let api = sim.new_api();
    let list = api.get("/v1/terminal/configurations", &[]).await.ok();
    let data = list["data"].as_array().expect("data");
    assert_eq!(data.len(), 1, "{list:#}");
    let default = &data[0];
    assert_eq!(default["object"], "terminal.configuration");
    assert_eq!(default["is_account_default"], true);
    assert_eq!(default["livemode"], false);
    assert!(default["name"].is_null());
    let id = default["id"].as_str().expect("id");
    assert!(id.starts_with("tmc_"));
    // The same one every time.
    assert_eq!(api.default_configuration().await["id"], id);
    let r = api
        .delete(&format!("/v1/terminal/configurations/{id}"))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["type"], "invalid_request_error");
    // It can be changed like any other.
    let updated = api
        .post(
            &format!("/v1/terminal/configurations/{id}"),
            &[("offline[enabled]", "true"), ("name", "Everywhere")],
        )
        .await
        .ok();
    assert_eq!(updated["offline"]["enabled"], true);
    assert_eq!(updated["is_account_default"], true);
    assert_eq!(updated["name"], "Everywhere");
}

#[tokio::test]
async fn create_retrieve_update_delete() {
    let sim = start().await;
    let api = sim.new_api();
    let file = splash(&api).await;
    let created = api
        .post(
            "/v1/terminal/configurations",
            &[
                ("name", "Bar"),
                ("bbpos_wisepos_e[splashscreen]", &file),
                ("tipping[usd][percentages][0]", "15"),
                ("tipping[usd][percentages][1]", "18"),
                ("tipping[usd][percentages][2]", "20"),
                ("tipping[usd][smart_tip_threshold]", "1000"),
                ("tipping[usd][fixed_amounts][]", "100"),
                ("reboot_window[start_hour]", "2"),
                ("reboot_window[end_hour]", "4"),
            ],
        )
        .await
        .ok();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["is_account_default"], false);
    assert_eq!(created["name"], "Bar");
    assert_eq!(created["bbpos_wisepos_e"]["splashscreen"], file.as_str());
    assert_eq!(
        created["tipping"]["usd"],
        serde_json::json!({ "fixed_amounts": [100], "percentages": [15, 18, 20], "smart_tip_threshold": 1000 })
    );
    assert_eq!(
        created["reboot_window"],
        serde_json::json!({ "start_hour": 2, "end_hour": 4 })
    );
    // Settings not given are left out, as Stripe does.
    assert!(created.get("stripe_s700").is_none());
    assert!(created.get("offline").is_none());

    let got = api
        .get(&format!("/v1/terminal/configurations/{id}"), &[])
        .await
        .ok();
    assert_eq!(got, created);
    let expanded = api
        .get(
            &format!("/v1/terminal/configurations/{id}"),
            &[("expand[]", "bbpos_wisepos_e.splashscreen")],
        )
        .await
        .ok();
    assert_eq!(
        expanded["bbpos_wisepos_e"]["splashscreen"]["object"],
        "file"
    );

    // A setting given replaces the old one; an empty value removes it.
    let updated = api
        .post(
            &format!("/v1/terminal/configurations/{id}"),
            &[
                ("tipping[eur][fixed_amounts][0]", "50"),
                ("bbpos_wisepos_e", ""),
                ("stripe_s700[splashscreen]", &file),
            ],
        )
        .await
        .ok();
    assert!(updated["tipping"].get("usd").is_none(), "{updated:#}");
    assert_eq!(updated["tipping"]["eur"]["fixed_amounts"][0], 50);
    assert!(updated.get("bbpos_wisepos_e").is_none());
    assert_eq!(updated["stripe_s700"]["splashscreen"], file.as_str());
    assert_eq!(updated["name"], "Bar");

    let deleted = api
        .delete(&format!("/v1/terminal/configurations/{id}"))
        .await
        .ok();
    assert_eq!(
        deleted,
        serde_json::json!({ "id": id, "object": "terminal.configuration", "deleted": true })
    );
    let r = api
        .get(&format!("/v1/terminal/configurations/{id}"), &[])
        .await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    assert_eq!(r.body["error"]["param"], "id");
}

/// A form, the status and error code it gets, and the parameter the error names.
type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str, &'a str);

#[tokio::test]
async fn stripes_errors_for_bad_parameters() {
    let sim = start().await;
    let api = sim.new_api();
    let cases: &[Case] = &[
        (&[("colour", "red")], 400, "parameter_unknown", "colour"),
        (
            &[("tipping[usd][percent]", "5")],
            400,
            "parameter_unknown",
            "tipping[usd][percent]",
        ),
        (
            &[("tipping[xyz][percentages][0]", "5")],
            400,
            "parameter_unknown",
            "tipping[xyz]",
        ),
        (
            &[("tipping[usd][percentages][0]", "ten")],
            400,
            "parameter_invalid_integer",
            "tipping[usd][percentages][0]",
        ),
        (
            &[("tipping[usd][percentages][0]", "101")],
            400,
            "parameter_invalid_integer",
            "tipping[usd][percentages][0]",
        ),
        (
            &[("tipping[usd][smart_tip_threshold]", "x")],
            400,
            "parameter_invalid_integer",
            "tipping[usd][smart_tip_threshold]",
        ),
        (
            &[("reboot_window[start_hour]", "1")],
            400,
            "parameter_missing",
            "reboot_window[end_hour]",
        ),
        (
            &[
                ("reboot_window[start_hour]", "1"),
                ("reboot_window[end_hour]", "24"),
            ],
            400,
            "parameter_invalid_integer",
            "reboot_window[end_hour]",
        ),
        (
            &[("offline[enabled]", "maybe")],
            400,
            "parameter_invalid_boolean",
            "offline[enabled]",
        ),
        (
            &[("bbpos_wisepos_e[splashscreen]", "file_missing")],
            400,
            "resource_missing",
            "bbpos_wisepos_e[splashscreen]",
        ),
        (
            &[("wifi[type]", "open")],
            400,
            "parameter_invalid_string",
            "wifi[type]",
        ),
        (
            &[
                ("wifi[type]", "personal_psk"),
                ("wifi[personal_psk][ssid]", "S"),
            ],
            400,
            "parameter_missing",
            "wifi[personal_psk][password]",
        ),
    ];
    for (form, status, code, param) in cases {
        let r = api.post("/v1/terminal/configurations", form).await;
        assert_eq!(
            (r.status, r.code()),
            (*status, *code),
            "{form:?}: {}",
            r.body
        );
        assert_eq!(r.body["error"]["param"], *param, "{form:?}");
    }
    // More than three suggestions, and a splash screen that is not one.
    let r = api
        .post(
            "/v1/terminal/configurations",
            &[
                ("tipping[usd][percentages][0]", "1"),
                ("tipping[usd][percentages][1]", "2"),
                ("tipping[usd][percentages][2]", "3"),
                ("tipping[usd][percentages][3]", "4"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["param"], "tipping[usd][percentages]");
    let logo = api.upload("business_logo", "logo.png", png(100)).await.ok();
    let r = api
        .post(
            "/v1/terminal/configurations",
            &[(
                "stripe_s700[splashscreen]",
                logo["id"].as_str().unwrap_or(""),
            )],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["param"], "stripe_s700[splashscreen]");
    // Unknown ids and list parameters.
    let r = api.get("/v1/terminal/configurations/tmc_nope", &[]).await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    let r = api
        .post("/v1/terminal/configurations/tmc_nope", &[("name", "x")])
        .await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    let r = api.delete("/v1/terminal/configurations/tmc_nope").await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    let r = api
        .get("/v1/terminal/configurations", &[("limit", "0")])
        .await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_integer"));
    let r = api
        .get(
            "/v1/terminal/configurations",
            &[("is_account_default", "yes")],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_boolean"));
    let r = api
        .get(
            "/v1/terminal/configurations",
            &[("starting_after", "tmc_nope")],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "resource_missing"));
}

#[tokio::test]
async fn lists_page_and_filter_the_default() {
    let sim = start().await;
    let api = sim.new_api();
    let mut made = Vec::new();
    for i in 0..5 {
        let c = api
            .post("/v1/terminal/configurations", &[("name", &format!("c{i}"))])
            .await
            .ok();
        made.push(c["id"].as_str().expect("id").to_string());
    }
    let default = api.default_configuration().await["id"]
        .as_str()
        .expect("default")
        .to_string();
    made.reverse();
    made.push(default.clone());
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = vec![("limit", "2".to_string())];
        if let Some(a) = &after {
            q.push(("starting_after", a.clone()));
        }
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = api.get("/v1/terminal/configurations", &q).await.ok();
        assert_eq!(page["url"], "/v1/terminal/configurations");
        let ids: Vec<String> = page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|c| c["id"].as_str().unwrap_or("").to_string())
            .collect();
        after = ids.last().cloned();
        seen.extend(ids);
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen, made, "newest first, the default oldest");
    let before = api
        .get(
            "/v1/terminal/configurations",
            &[("ending_before", &made[3]), ("limit", "2")],
        )
        .await
        .ok();
    let ids: Vec<&str> = before["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, vec![made[1].as_str(), made[2].as_str()]);
    assert_eq!(before["has_more"], true);
    let others = api
        .get(
            "/v1/terminal/configurations",
            &[("is_account_default", "false"), ("limit", "100")],
        )
        .await
        .ok();
    assert_eq!(others["data"].as_array().map(Vec::len), Some(5));
    let only = api
        .get(
            "/v1/terminal/configurations",
            &[("is_account_default", "true")],
        )
        .await
        .ok();
    assert_eq!(only["data"][0]["id"], default.as_str());
    assert_eq!(only["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn locations_override_with_their_own_configurations() {
    let (sim, simulator) = start_keeping().await;
    let api = sim.new_api();
    let account = api.get("/v1/account", &[]).await.ok()["id"]
        .as_str()
        .expect("account")
        .to_string();
    let (location, reader) = api.reader().await;
    let default = api.default_configuration().await;
    // Stripe shows no configuration on the reader; the Rust API finds the one in force.
    let reader_json = api
        .get(&format!("/v1/terminal/readers/{reader}"), &[])
        .await
        .ok();
    assert!(reader_json.get("configuration").is_none());
    assert_eq!(
        simulator.configuration_in_force(&account, &reader),
        Some(default.clone())
    );
    assert_eq!(simulator.configuration_in_force(&account, "tmr_nope"), None);
    assert_eq!(simulator.configuration_in_force("acct_nope", &reader), None);

    let bar = api
        .post("/v1/terminal/configurations", &[("name", "Bar")])
        .await
        .ok();
    let bar_id = bar["id"].as_str().expect("id");
    let r = api
        .post(
            &format!("/v1/terminal/locations/{location}"),
            &[("configuration_overrides", "tmc_nope")],
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "resource_missing"),
        "{}",
        r.body
    );
    assert_eq!(r.body["error"]["param"], "configuration_overrides");
    let loc = api
        .post(
            &format!("/v1/terminal/locations/{location}"),
            &[("configuration_overrides", bar_id)],
        )
        .await
        .ok();
    assert_eq!(loc["configuration_overrides"], bar_id);
    assert_eq!(
        simulator
            .configuration_in_force(&account, &reader)
            .map(|c| c["id"].clone()),
        Some(bar["id"].clone())
    );
    // A configuration a location uses is not deleted from under it.
    let r = api
        .delete(&format!("/v1/terminal/configurations/{bar_id}"))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    api.post(
        &format!("/v1/terminal/locations/{location}"),
        &[("configuration_overrides", "")],
    )
    .await
    .ok();
    assert_eq!(
        simulator
            .configuration_in_force(&account, &reader)
            .map(|c| c["id"].clone()),
        Some(default["id"].clone())
    );
    api.delete(&format!("/v1/terminal/configurations/{bar_id}"))
        .await
        .ok();
    // A new location may name a configuration from the start, and only an existing one.
    let r = api
        .post(
            "/v1/terminal/locations",
            &[
                ("display_name", "Shop"),
                ("address[line1]", "1 Main"),
                ("address[city]", "Austin"),
                ("address[state]", "TX"),
                ("address[postal_code]", "78701"),
                ("address[country]", "US"),
                ("configuration_overrides", bar_id),
            ],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "resource_missing"));
}

#[tokio::test]
async fn configurations_stay_on_their_account() {
    let sim = start().await;
    let platform = sim.new_api();
    let acct = platform
        .post("/v1/accounts", &[("type", "standard"), ("country", "US")])
        .await
        .ok();
    let connected = platform.on(acct["id"].as_str().expect("id"));
    let platform_default = platform.default_configuration().await;
    let connected_default = connected.default_configuration().await;
    assert_ne!(platform_default["id"], connected_default["id"]);
    let mine = platform
        .post("/v1/terminal/configurations", &[("name", "Platform")])
        .await
        .ok();
    let mine_id = mine["id"].as_str().expect("id");
    let r = connected
        .get(&format!("/v1/terminal/configurations/{mine_id}"), &[])
        .await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    let theirs = connected.get("/v1/terminal/configurations", &[]).await.ok();
    assert_eq!(theirs["data"].as_array().map(Vec::len), Some(1));
    // A connected account's location cannot use the platform's configuration, nor its file.
    let (location, _) = connected.reader().await;
    let r = connected
        .post(
            &format!("/v1/terminal/locations/{location}"),
            &[("configuration_overrides", mine_id)],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "resource_missing"));
    let file = splash(&platform).await;
    let r = connected
        .post(
            "/v1/terminal/configurations",
            &[("bbpos_wisepos_e[splashscreen]", &file)],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "resource_missing"));
}
