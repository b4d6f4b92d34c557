//! Contract tests: every simulator response of the endpoints we use validates against Stripe's
//! own schemas in ../shared/stripe/openapi-subset.json (OpenAPI 3.0, turned into JSON Schema),
//! with the newer enum values and fields of its `x-sdk-delta-2026` merged in. Objects whose
//! full schema the subset does not carry (payment_intent, charge, refund, webhook_endpoint)
//! are checked against its `x-field-summaries`.

use fleet_stripe_sim::{SimConfig, Simulator};
use serde_json::{json, Map, Value};

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/stripe/openapi-subset.json"
    );
    serde_json::from_str(
        &std::fs::read_to_string(path).expect("openapi-subset.json beside the repo"),
    )
    .expect("json")
}

/// OpenAPI 3.0 → JSON Schema: `nullable` becomes a `null` alternative, component refs point into
/// `$defs`, and refs to schemas the subset lacks accept anything.
fn convert(node: &Value, known: &Map<String, Value>) -> Value {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let name = r.trim_start_matches("#/components/schemas/");
                return if known.contains_key(name) {
                    json!({ "$ref": format!("#/$defs/{name}") })
                } else {
                    json!({})
                };
            }
            let mut out = Map::new();
            for (k, v) in map {
                match k.as_str() {
                    "nullable"
                    | "description"
                    | "x-expandableFields"
                    | "x-resourceId"
                    | "x-stripeBypassValidation"
                    | "x-fields-summary-of" => {}
                    "anyOf" => {
                        let items = v.as_array().cloned().unwrap_or_default();
                        let converted: Vec<Value> = items
                            .iter()
                            .map(|item| match item {
                                Value::String(s) if s.starts_with('#') => {
                                    convert(&json!({ "$ref": s }), known)
                                }
                                Value::String(s) => json!({ "type": s }),
                                other => convert(other, known),
                            })
                            .collect();
                        out.insert(k.clone(), Value::Array(converted));
                    }
                    // The summaries write item schemas in shorthand: "string" or a ref.
                    "items" | "additionalProperties" if v.is_string() => {
                        let s = v.as_str().unwrap_or_default();
                        let schema = if s.starts_with('#') {
                            convert(&json!({ "$ref": s }), known)
                        } else {
                            json!({ "type": s })
                        };
                        out.insert(k.clone(), schema);
                    }
                    _ => {
                        out.insert(k.clone(), convert(v, known));
                    }
                }
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                return json!({ "anyOf": [Value::Object(out), { "type": "null" }] });
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| convert(i, known)).collect()),
        other => other.clone(),
    }
}

fn definitions() -> Map<String, Value> {
    let spec = spec();
    let mut known: Map<String, Value> = spec["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, summary) in spec["x-field-summaries"]
        .as_object()
        .cloned()
        .unwrap_or_default()
    {
        known.entry(name).or_insert(summary);
    }
    // x-sdk-delta-2026: enums that grew and fields added since the 2023 schemas.
    let enums = &spec["x-sdk-delta-2026"]["go_enums"]["terminal_reader.go"];
    if let Some(reader) = known.get_mut("terminal.reader") {
        reader["properties"]["device_type"]["enum"] = enums["TerminalReaderDeviceType"].clone();
        reader["properties"]["last_seen_at"] = json!({ "type": "integer", "nullable": true });
    }
    if let Some(action) = known.get_mut("terminal_reader_reader_resource_reader_action") {
        action["properties"]["type"]["enum"] = enums["TerminalReaderActionType"].clone();
    }
    let snapshot = known.clone();
    known
        .iter()
        .map(|(k, v)| (k.clone(), convert(v, &snapshot)))
        .collect()
}

fn check(defs: &Map<String, Value>, schema: &str, instance: &Value) {
    let root = json!({ "$defs": defs, "$ref": format!("#/$defs/{schema}") });
    let validator = jsonschema::validator_for(&root).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{schema} does not match Stripe's schema:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

struct Api {
    base: String,
    http: reqwest::Client,
    key: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        let url = format!("{}{path}", self.base);
        let req = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.key);
        let req = if method == reqwest::Method::GET {
            req.query(form)
        } else {
            req.form(form)
        };
        req.send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        self.call(reqwest::Method::POST, path, form).await
    }
    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, &[]).await
    }
}

#[tokio::test]
async fn every_response_matches_stripes_schemas() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(
        Simulator::new(SimConfig {
            rate_limit: None,
            ..SimConfig::default()
        })
        .serve(listener),
    );
    let api = Api {
        base,
        http: reqwest::Client::new(),
        key: "sk_test_contract1234".into(),
    };
    let defs = definitions();

    let addr = [
        ("display_name", "Store"),
        ("address[line1]", "1 Main"),
        ("address[city]", "Austin"),
        ("address[state]", "TX"),
        ("address[postal_code]", "78701"),
        ("address[country]", "US"),
    ];
    let loc = api.post("/v1/terminal/locations", &addr).await;
    check(&defs, "terminal.location", &loc);
    let loc_id = loc["id"].as_str().expect("id").to_string();
    check(
        &defs,
        "terminal.location",
        &api.post(
            &format!("/v1/terminal/locations/{loc_id}"),
            &[("display_name", "Renamed")],
        )
        .await,
    );
    let list = api.get("/v1/terminal/locations").await;
    for l in list["data"].as_array().expect("data") {
        check(&defs, "terminal.location", l);
    }
    for code in ["simulated-wpe", "simulated-s700"] {
        let r = api
            .post(
                "/v1/terminal/readers",
                &[("registration_code", code), ("location", &loc_id)],
            )
            .await;
        check(&defs, "terminal.reader", &r);
    }
    let readers = api.get("/v1/terminal/readers").await;
    let reader = readers["data"][0]["id"]
        .as_str()
        .expect("reader")
        .to_string();
    check(
        &defs,
        "terminal.connection_token",
        &api.post("/v1/terminal/connection_tokens", &[]).await,
    );

    let pi = api
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1200"),
                ("currency", "usd"),
                ("payment_method_types[]", "card_present"),
                ("capture_method", "manual"),
            ],
        )
        .await;
    check(&defs, "payment_intent", &pi);
    let pi_id = pi["id"].as_str().expect("pi").to_string();
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
            &[("payment_intent", &pi_id)],
        )
        .await;
    check(&defs, "terminal.reader", &r);
    let r = api
        .post(
            &format!("/v1/test_helpers/terminal/readers/{reader}/present_payment_method"),
            &[],
        )
        .await;
    check(&defs, "terminal.reader", &r);
    let captured = api
        .post(&format!("/v1/payment_intents/{pi_id}/capture"), &[])
        .await;
    check(&defs, "payment_intent", &captured);
    let charge = api
        .get(&format!(
            "/v1/charges/{}",
            captured["latest_charge"].as_str().expect("charge")
        ))
        .await;
    check(&defs, "charge", &charge);
    check(
        &defs,
        "payment_method_details_card_present",
        &charge["payment_method_details"]["card_present"],
    );
    let refund = api
        .post(
            "/v1/refunds",
            &[("payment_intent", &pi_id), ("amount", "200")],
        )
        .await;
    check(&defs, "refund", &refund);

    let declined = api
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1005"),
                ("currency", "usd"),
                ("payment_method_types[]", "card_present"),
            ],
        )
        .await;
    let declined_id = declined["id"].as_str().expect("pi").to_string();
    api.post(
        &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
        &[("payment_intent", &declined_id)],
    )
    .await;
    let failed = api
        .post(
            &format!("/v1/test_helpers/terminal/readers/{reader}/present_payment_method"),
            &[],
        )
        .await;
    check(&defs, "terminal.reader", &failed);
    check(
        &defs,
        "payment_intent",
        &api.get(&format!("/v1/payment_intents/{declined_id}")).await,
    );
    check(
        &defs,
        "payment_intent",
        &api.post(&format!("/v1/payment_intents/{declined_id}/cancel"), &[])
            .await,
    );
    let r = api
        .post(
            &format!("/v1/terminal/readers/{reader}/set_reader_display"),
            &[
                ("type", "cart"),
                ("cart[currency]", "usd"),
                ("cart[total]", "500"),
                ("cart[line_items][0][description]", "Latte"),
                ("cart[line_items][0][amount]", "500"),
                ("cart[line_items][0][quantity]", "1"),
            ],
        )
        .await;
    check(&defs, "terminal.reader", &r);
    check(
        &defs,
        "terminal.reader",
        &api.post(&format!("/v1/terminal/readers/{reader}/cancel_action"), &[])
            .await,
    );

    let we = api
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://example.com/hook"),
                ("enabled_events[]", "*"),
            ],
        )
        .await;
    check(&defs, "webhook_endpoint", &we);
    let events = api.get("/v1/events?limit=100").await;
    assert!(events["data"].as_array().is_some_and(|d| d.len() > 5));
    for e in events["data"].as_array().expect("events") {
        check(&defs, "event", e);
    }

    check(
        &defs,
        "error",
        &api.get("/v1/terminal/readers/tmr_missing").await,
    );
    check(
        &defs,
        "error",
        &api.post("/v1/terminal/locations", &[("display_name", "x")])
            .await,
    );
    check(
        &defs,
        "deleted_terminal.reader",
        &api.call(
            reqwest::Method::DELETE,
            &format!("/v1/terminal/readers/{reader}"),
            &[],
        )
        .await,
    );
    check(
        &defs,
        "deleted_terminal.location",
        &api.call(
            reqwest::Method::DELETE,
            &format!("/v1/terminal/locations/{loc_id}"),
            &[],
        )
        .await,
    );
}
