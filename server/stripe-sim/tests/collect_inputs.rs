//! `collect_inputs`: the reader action, its test helpers (a simulated customer answers or walks
//! away), cancelling it, its timeout, its webhooks; and the cart display it sits beside.

mod common;

use common::*;
use serde_json::json;

fn form<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("inputs[0][type]", "email"),
        ("inputs[0][custom_text][title]", "Receipt by email?"),
        (
            "inputs[0][custom_text][description]",
            "We send nothing else",
        ),
        ("inputs[0][custom_text][submit_button]", "Send"),
        ("inputs[0][custom_text][skip_button]", "No thanks"),
        ("inputs[1][type]", "phone"),
        ("inputs[1][custom_text][title]", "Phone"),
        ("inputs[1][required]", "true"),
        ("inputs[2][type]", "selection"),
        ("inputs[2][custom_text][title]", "Cup"),
        ("inputs[2][selection][choices][0][id]", "small"),
        ("inputs[2][selection][choices][0][text]", "Small"),
        ("inputs[2][selection][choices][0][style]", "primary"),
        ("inputs[2][selection][choices][1][id]", "large"),
        ("inputs[2][selection][choices][1][text]", "Large"),
        ("inputs[2][selection][choices][1][style]", "secondary"),
        ("inputs[2][required]", "true"),
        ("inputs[3][type]", "signature"),
        ("inputs[3][custom_text][title]", "Sign here"),
        ("inputs[3][required]", "true"),
        ("inputs[3][toggles][0][title]", "Marketing"),
        ("inputs[3][toggles][0][description]", "Offers by email"),
        ("inputs[3][toggles][0][default_value]", "enabled"),
        ("inputs[3][toggles][1][title]", "Newsletter"),
        ("inputs[4][type]", "numeric"),
        ("inputs[4][custom_text][title]", "Table"),
        ("metadata[order]", "42"),
    ]
}

fn collect_path(reader: &str) -> String {
    format!("/v1/terminal/readers/{reader}/collect_inputs")
}

fn helper(reader: &str, name: &str) -> String {
    format!("/v1/test_helpers/terminal/readers/{reader}/{name}")
}

#[tokio::test]
async fn inputs_are_collected_and_webhooked() {
    let sim = start().await;
    let api = sim.new_api();
    let receiver = Receiver::start(200).await;
    api.post(
        "/v1/webhook_endpoints",
        &[("url", &receiver.url), ("enabled_events[]", "*")],
    )
    .await
    .ok();
    let (_, reader) = api.reader().await;
    let started = api.post(&collect_path(&reader), &form()).await.ok();
    let action = &started["action"];
    assert_eq!(action["type"], "collect_inputs");
    assert_eq!(action["status"], "in_progress");
    let inputs = action["collect_inputs"]["inputs"]
        .as_array()
        .expect("inputs");
    assert_eq!(inputs.len(), 5);
    assert_eq!(
        inputs[0]["custom_text"],
        json!({ "title": "Receipt by email?", "description": "We send nothing else", "submit_button": "Send", "skip_button": "No thanks" })
    );
    assert_eq!(inputs[0]["required"], false);
    assert_eq!(inputs[1]["required"], true);
    assert_eq!(inputs[2]["selection"]["choices"][1]["style"], "secondary");
    assert!(inputs[2]["selection"]["id"].is_null());
    assert_eq!(inputs[3]["toggles"][0]["default_value"], "enabled");
    assert!(inputs[3]["toggles"][1]["default_value"].is_null());
    assert_eq!(
        action["collect_inputs"]["metadata"],
        json!({ "order": "42" })
    );

    let done = api
        .post(&helper(&reader, "succeed_input_collection"), &[])
        .await
        .ok();
    let action = &done["action"];
    assert_eq!(action["status"], "succeeded");
    let inputs = action["collect_inputs"]["inputs"]
        .as_array()
        .expect("inputs");
    assert!(inputs[0]["email"]["value"]
        .as_str()
        .is_some_and(|v| v.contains('@')));
    assert!(inputs[1]["phone"]["value"]
        .as_str()
        .is_some_and(|v| v.starts_with('+')));
    assert_eq!(inputs[2]["selection"]["id"], "small");
    assert_eq!(inputs[2]["selection"]["text"], "Small");
    let signature = inputs[3]["signature"]["value"].as_str().expect("signature");
    assert!(signature.starts_with("file_"));
    assert_eq!(
        api.get(&format!("/v1/files/{signature}"), &[]).await.ok()["type"],
        "png"
    );
    assert_eq!(inputs[3]["toggles"][0]["value"], "enabled");
    assert_eq!(inputs[3]["toggles"][1]["value"], "disabled");
    assert!(inputs[4]["numeric"]["value"].is_string());
    assert!(inputs.iter().all(|i| i["skipped"] == false));

    let event = receiver.wait_for("terminal.reader.action_succeeded").await;
    assert_eq!(event["data"]["object"]["action"]["type"], "collect_inputs");
    assert_eq!(
        event["data"]["object"]["action"]["collect_inputs"]["inputs"][0]["email"],
        inputs[0]["email"]
    );
    // Finished: the helpers have nothing to answer.
    let r = api
        .post(&helper(&reader, "succeed_input_collection"), &[])
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn optional_inputs_can_be_skipped() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    api.post(&collect_path(&reader), &form()).await.ok();
    let r = api
        .post(
            &helper(&reader, "succeed_input_collection"),
            &[("skip_non_required_inputs", "some")],
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "parameter_invalid_string"));
    let done = api
        .post(
            &helper(&reader, "succeed_input_collection"),
            &[("skip_non_required_inputs", "all")],
        )
        .await
        .ok();
    let inputs = done["action"]["collect_inputs"]["inputs"]
        .as_array()
        .expect("inputs");
    for input in inputs {
        let required = input["required"] == true;
        assert_eq!(input["skipped"], !required, "{input:#}");
        let kind = input["type"].as_str().unwrap_or_default();
        if !required {
            assert!(input
                .get(kind)
                .is_none_or(|v| v.is_null() || kind == "selection"));
        }
    }
    assert!(inputs[1]["phone"]["value"].is_string());
}

#[tokio::test]
async fn timeouts_and_cancels() {
    let sim = start().await;
    let api = sim.new_api();
    let receiver = Receiver::start(200).await;
    api.post(
        "/v1/webhook_endpoints",
        &[("url", &receiver.url), ("enabled_events[]", "*")],
    )
    .await
    .ok();
    let (_, reader) = api.reader().await;
    api.post(&collect_path(&reader), &form()).await.ok();
    let failed = api
        .post(&helper(&reader, "timeout_input_collection"), &[])
        .await
        .ok();
    assert_eq!(failed["action"]["status"], "failed");
    assert_eq!(failed["action"]["failure_code"], "terminal_reader_timeout");
    assert!(failed["action"]["failure_message"].is_string());
    let event = receiver.wait_for("terminal.reader.action_failed").await;
    assert_eq!(event["data"]["object"]["action"]["type"], "collect_inputs");

    // Cancelling resets the reader, without a webhook.
    api.post(&collect_path(&reader), &form()).await.ok();
    let cancelled = api
        .post(&format!("/v1/terminal/readers/{reader}/cancel_action"), &[])
        .await
        .ok();
    assert!(cancelled["action"].is_null());
    let r = api
        .post(&helper(&reader, "timeout_input_collection"), &[])
        .await;
    assert_eq!(r.status, 400);

    // A payment replaces a collection still waiting; a collection replaces a waiting payment.
    api.post(&collect_path(&reader), &form()).await.ok();
    let pi = api.intent(500, "automatic").await;
    let r = api.process(&reader, &pi).await.ok();
    assert_eq!(r["action"]["type"], "process_payment_intent");
    let r = api.post(&collect_path(&reader), &form()).await.ok();
    assert_eq!(r["action"]["type"], "collect_inputs");
    // A card cannot answer a collection.
    let r = api.present(&reader, &[]).await;
    assert_eq!(r.status, 400);

    // Left waiting, it times out with the simulated clock.
    sim.control("/clock/advance", json!({ "seconds": 400 }))
        .await;
    let shown = api
        .get(&format!("/v1/terminal/readers/{reader}"), &[])
        .await
        .ok();
    assert_eq!(shown["action"]["status"], "failed");
    assert_eq!(shown["action"]["failure_code"], "terminal_reader_timeout");
    let events = api
        .get("/v1/events", &[("type", "terminal.reader.action_failed")])
        .await
        .ok();
    assert_eq!(events["data"].as_array().map(Vec::len), Some(2));
    let cancel_events = api
        .get(
            "/v1/events",
            &[("type", "terminal.reader.action_succeeded")],
        )
        .await
        .ok();
    assert_eq!(cancel_events["data"].as_array().map(Vec::len), Some(0));
}

/// A form, the error code it gets and the parameter the error names.
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

#[tokio::test]
async fn stripes_errors_for_bad_inputs() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let path = collect_path(&reader);
    let title = ("inputs[0][custom_text][title]", "T");
    let long_submit = "x".repeat(31);
    let long_skip = "x".repeat(15);
    let cases: Vec<Case> = vec![
        (vec![], "parameter_missing", "inputs"),
        (vec![("colour", "red")], "parameter_unknown", "colour"),
        (vec![title], "parameter_missing", "inputs[0][type]"),
        (
            vec![("inputs[0][type]", "email")],
            "parameter_missing",
            "inputs[0][custom_text]",
        ),
        (
            vec![("inputs[0][type]", "colour"), title],
            "parameter_invalid_string",
            "inputs[0][type]",
        ),
        (
            vec![
                ("inputs[0][type]", "email"),
                title,
                ("inputs[0][shade]", "x"),
            ],
            "parameter_unknown",
            "inputs[0][shade]",
        ),
        (
            vec![("inputs[0][type]", "selection"), title],
            "parameter_missing",
            "inputs[0][selection]",
        ),
        (
            vec![
                ("inputs[0][type]", "selection"),
                title,
                ("inputs[0][selection][choices][0][id]", "a"),
            ],
            "parameter_missing",
            "inputs[0][selection][choices][0][text]",
        ),
        (
            vec![
                ("inputs[0][type]", "selection"),
                title,
                ("inputs[0][selection][choices][0][id]", "a"),
                ("inputs[0][selection][choices][0][text]", "A"),
                ("inputs[0][selection][choices][0][style]", "bold"),
            ],
            "parameter_invalid_string",
            "inputs[0][selection][choices][0][style]",
        ),
        (
            vec![
                ("inputs[0][type]", "email"),
                title,
                ("inputs[0][required]", "yes"),
            ],
            "parameter_invalid_boolean",
            "inputs[0][required]",
        ),
        (
            vec![
                ("inputs[0][type]", "email"),
                title,
                ("inputs[0][custom_text][submit_button]", &long_submit),
            ],
            "parameter_invalid_string",
            "inputs[0][custom_text][submit_button]",
        ),
        (
            vec![
                ("inputs[0][type]", "email"),
                title,
                ("inputs[0][custom_text][skip_button]", &long_skip),
            ],
            "parameter_invalid_string",
            "inputs[0][custom_text][skip_button]",
        ),
        (
            vec![
                ("inputs[0][type]", "email"),
                title,
                ("inputs[0][toggles][0][default_value]", "on"),
            ],
            "parameter_invalid_string",
            "inputs[0][toggles][0][default_value]",
        ),
    ];
    for (form, code, param) in cases {
        let r = api.post(&path, &form).await;
        assert_eq!((r.status, r.code()), (400, code), "{form:?}: {}", r.body);
        assert_eq!(r.body["error"]["param"], param, "{form:?}");
    }
    // Six inputs are one too many.
    let mut six = Vec::new();
    let keys: Vec<(String, String)> = (0..6)
        .map(|i| {
            (
                format!("inputs[{i}][type]"),
                format!("inputs[{i}][custom_text][title]"),
            )
        })
        .collect();
    for (t, c) in &keys {
        six.push((t.as_str(), "text"));
        six.push((c.as_str(), "T"));
    }
    let r = api.post(&path, &six).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["param"], "inputs");

    // Readers that cannot take it, and helpers on readers that are not collecting.
    let r = api
        .post("/v1/terminal/readers/tmr_nope/collect_inputs", &form())
        .await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    sim.control(&format!("/readers/{reader}/offline"), json!({}))
        .await;
    let r = api.post(&path, &form()).await;
    assert_eq!(r.code(), "terminal_reader_offline");
    sim.control(&format!("/readers/{reader}/online"), json!({}))
        .await;
    let r = api
        .post(&helper(&reader, "succeed_input_collection"), &[])
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .post(&helper("tmr_nope", "timeout_input_collection"), &[])
        .await;
    assert_eq!((r.status, r.code()), (404, "resource_missing"));
    let key = api.key.clone();
    let issued = sim
        .control("/registration_codes", json!({ "key": key }))
        .await;
    let physical = api
        .post(
            "/v1/terminal/readers",
            &[(
                "registration_code",
                issued["registration_code"].as_str().unwrap_or(""),
            )],
        )
        .await
        .ok();
    let physical = physical["id"].as_str().expect("reader");
    api.post(&collect_path(physical), &form()).await.ok();
    let r = api
        .post(&helper(physical, "succeed_input_collection"), &[])
        .await;
    assert_eq!(r.status, 400, "test helpers drive simulated readers only");
}

#[tokio::test]
async fn the_cart_display_follows_the_contract_and_cancel_clears_it() {
    let sim = start().await;
    let api = sim.new_api();
    let (_, reader) = api.reader().await;
    let path = format!("/v1/terminal/readers/{reader}/set_reader_display");
    let shown = api
        .post(
            &path,
            &[
                ("type", "cart"),
                ("cart[currency]", "USD"),
                ("cart[tax]", "80"),
                ("cart[total]", "1080"),
                ("cart[line_items][0][description]", "Latte"),
                ("cart[line_items][0][amount]", "500"),
                ("cart[line_items][0][quantity]", "2"),
            ],
        )
        .await
        .ok();
    assert_eq!(shown["action"]["type"], "set_reader_display");
    assert_eq!(shown["action"]["status"], "succeeded");
    assert_eq!(
        shown["action"]["set_reader_display"],
        json!({ "type": "cart", "cart": { "currency": "usd", "tax": 80, "total": 1080, "line_items": [{ "amount": 500, "description": "Latte", "quantity": 2 }] } })
    );
    for (form, code, param) in [
        (vec![("type", "cart")], "parameter_missing", "cart"),
        (
            vec![
                ("type", "cart"),
                ("cart[currency]", "usd"),
                ("cart[line_items][0][amount]", "1"),
            ],
            "parameter_missing",
            "cart[total]",
        ),
        (
            vec![
                ("type", "cart"),
                ("cart[currency]", "usd"),
                ("cart[total]", "x"),
            ],
            "parameter_invalid_integer",
            "cart[total]",
        ),
        (
            vec![("type", "receipt")],
            "parameter_invalid_string",
            "type",
        ),
        (
            vec![("type", "cart"), ("cart[colour]", "red")],
            "parameter_unknown",
            "cart[colour]",
        ),
    ] {
        let r = api.post(&path, &form).await;
        assert_eq!((r.status, r.code()), (400, code), "{form:?}: {}", r.body);
        assert_eq!(r.body["error"]["param"], param, "{form:?}");
    }
    let cleared = api
        .post(&format!("/v1/terminal/readers/{reader}/cancel_action"), &[])
        .await
        .ok();
    assert!(cleared["action"].is_null());
}
