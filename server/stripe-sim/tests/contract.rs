//! Contract tests against /work/shared/stripe:
//! 1. every response body of the endpoints we serve validates against Stripe's own schema in
//!    openapi-subset.json (OpenAPI 3.0 turned into JSON Schema, `$ref`s resolved), *strictly*:
//!    objects may only carry the fields the schema names, plus the fields and enum values the
//!    2026 SDKs added (`x-sdk-delta-2026`), merged in from the SDK's Go structs;
//! 2. every request parameter contract-data.json lists is known to the simulator, and a call
//!    without the required ones is `parameter_missing`.

mod common;

use common::*;
use serde_json::{json, Map, Value};

fn load(name: &str) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/stripe/");
    let text = std::fs::read_to_string(format!("{dir}{name}")).expect("the shared contract");
    serde_json::from_str(&text).expect("json")
}

/// OpenAPI 3.0 → JSON Schema: `nullable` becomes a `null` alternative, component refs point
/// into `$defs` (refs to schemas the subset lacks accept anything), and objects with named
/// properties refuse others.
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
                    | "x-fields-summary-of"
                    | "format"
                    | "title"
                    | "maxLength" => {}
                    // The summaries write schemas in shorthand: "string" or a ref.
                    "anyOf" => {
                        let items: Vec<Value> = v
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                            .iter()
                            .map(|item| shorthand(item, known))
                            .collect();
                        out.insert(k.clone(), Value::Array(items));
                    }
                    "items" | "additionalProperties" => {
                        out.insert(k.clone(), shorthand(v, known));
                    }
                    // Field names, not schema keywords: a field may be called `description`.
                    "properties" => {
                        let props: Map<String, Value> = v
                            .as_object()
                            .cloned()
                            .unwrap_or_default()
                            .iter()
                            .map(|(name, schema)| (name.clone(), shorthand(schema, known)))
                            .collect();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.clone(), convert(v, known));
                    }
                }
            }
            if out.contains_key("properties") && !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), json!(false));
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

fn shorthand(item: &Value, known: &Map<String, Value>) -> Value {
    match item {
        Value::String(s) if s.starts_with('#') => convert(&json!({ "$ref": s }), known),
        Value::String(s) => json!({ "type": s }),
        other => convert(other, known),
    }
}

/// A schema for a field of a 2026 Go struct: typed scalars, nested structs of the same file
/// as strict objects, anything else (expandable objects) unconstrained. All nullable, as the
/// Go SDK's pointers and omitempty allow.
fn from_go(go_type: &str, structs: &Value, enums: &Value) -> Value {
    let t = go_type.trim_start_matches('*');
    let schema = match t {
        "string" => json!({ "type": "string" }),
        "bool" => json!({ "type": "boolean" }),
        "int64" | "float64" => json!({ "type": "number" }),
        t if t.starts_with("map[") => json!({ "type": "object" }),
        t if t.starts_with("[]") => json!({ "type": "array" }),
        t if enums.get(t).is_some() => json!({ "type": "string", "enum": enums[t] }),
        t => match structs.get(t).and_then(Value::as_object) {
            Some(fields) => {
                let props: Map<String, Value> = fields
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            from_go(v["go_type"].as_str().unwrap_or(""), structs, enums),
                        )
                    })
                    .collect();
                json!({ "type": "object", "properties": props, "additionalProperties": false })
            }
            None => json!({}),
        },
    };
    json!({ "anyOf": [schema, { "type": "null" }] })
}

fn definitions() -> Map<String, Value> {
    let spec = load("openapi-subset.json");
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
    let snapshot = known.clone();
    let mut defs: Map<String, Value> = known
        .iter()
        .map(|(k, v)| (k.clone(), convert(v, &snapshot)))
        .collect();

    // x-sdk-delta-2026: fields the 2026 SDKs added to the 2023 objects, and grown enums.
    let delta = &spec["x-sdk-delta-2026"];
    let reader_go = &delta["go_structs"]["terminal_reader.go"];
    let enums = &delta["go_enums"]["terminal_reader.go"];
    let merges = [
        (
            "terminal.reader",
            &delta["go_structs"]["terminal_reader.go"],
            "TerminalReader",
        ),
        (
            "terminal.location",
            &delta["go_structs"]["terminal_location.go"],
            "TerminalLocation",
        ),
        (
            "terminal_reader_reader_resource_reader_action",
            reader_go,
            "TerminalReaderAction",
        ),
        (
            "terminal_reader_reader_resource_process_config",
            reader_go,
            "TerminalReaderActionProcessPaymentIntentProcessConfig",
        ),
        (
            "terminal_reader_reader_resource_refund_payment_action",
            reader_go,
            "TerminalReaderActionRefundPayment",
        ),
        (
            "terminal_reader_reader_resource_process_setup_intent_action",
            reader_go,
            "TerminalReaderActionProcessSetupIntent",
        ),
    ];
    for (schema, structs, go) in merges {
        let Some(props) = defs
            .get_mut(schema)
            .and_then(|s| s["properties"].as_object_mut())
        else {
            panic!("{schema} missing from the subset");
        };
        for (field, info) in structs[go].as_object().cloned().unwrap_or_default() {
            if field != "deleted" && !props.contains_key(&field) {
                props.insert(
                    field,
                    from_go(info["go_type"].as_str().unwrap_or(""), structs, enums),
                );
            }
        }
    }
    defs["terminal.reader"]["properties"]["device_type"] =
        json!({ "enum": enums["TerminalReaderDeviceType"] });
    defs["terminal_reader_reader_resource_reader_action"]["properties"]["type"] =
        json!({ "enum": enums["TerminalReaderActionType"] });
    // 2026 charges name the reader and location that read the card (REFERENCE.md §7.6).
    let card_present = &mut defs["payment_method_details_card_present"]["properties"];
    card_present["reader"] = json!({ "type": ["string", "null"] });
    card_present["location"] = json!({ "type": ["string", "null"] });
    // 2026 event types (`terminal.reader.action_updated`) are strings like the rest.
    defs
}

struct Checker {
    defs: Map<String, Value>,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    fn check(&mut self, schema: &str, instance: &Value) {
        let root = json!({ "$defs": self.defs, "$ref": format!("#/$defs/{schema}") });
        let validator = jsonschema::validator_for(&root).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("  {} at {}", e, e.instance_path()))
            .collect();
        self.checked += 1;
        if !errors.is_empty() {
            let id = instance["id"].as_str().unwrap_or("");
            self.failures
                .push(format!("{schema} {id}:\n{}", errors.join("\n")));
        }
    }

    fn list(&mut self, schema: &str, list: &Value) {
        assert_eq!(list["object"], "list", "{list:#}");
        for item in list["data"].as_array().expect("data") {
            self.check(schema, item);
        }
    }

    /// Events, and the object inside each by its type.
    fn events(&mut self, list: &Value) {
        for e in list["data"].as_array().expect("data") {
            self.check("event", e);
            let object = &e["data"]["object"];
            let schema = match object["object"].as_str().unwrap_or("") {
                "terminal.reader" => "terminal.reader",
                "payment_intent" => "payment_intent",
                "charge" => "charge",
                "refund" => "refund",
                other => panic!("event of an unexpected object {other}"),
            };
            self.check(schema, object);
        }
    }
}

#[tokio::test]
async fn every_response_matches_stripes_schemas() {
    let sim = start().await;
    let api = sim.new_api();
    let mut c = Checker {
        defs: definitions(),
        failures: Vec::new(),
        checked: 0,
    };
    let receiver = Receiver::start(200).await;

    let we = api
        .post(
            "/v1/webhook_endpoints",
            &[("url", &receiver.url), ("enabled_events[]", "*")],
        )
        .await
        .ok();
    c.check("webhook_endpoint", &we);
    let we_id = we["id"].as_str().expect("we").to_string();
    c.check(
        "webhook_endpoint",
        &api.get(&format!("/v1/webhook_endpoints/{we_id}"), &[])
            .await
            .ok(),
    );
    c.list(
        "webhook_endpoint",
        &api.get("/v1/webhook_endpoints", &[]).await.ok(),
    );

    let loc = api
        .post(
            "/v1/terminal/locations",
            &[
                ("display_name", "Store"),
                ("address[line1]", "1 Main"),
                ("address[city]", "Austin"),
                ("address[state]", "TX"),
                ("address[postal_code]", "78701"),
                ("address[country]", "US"),
                ("metadata[a]", "b"),
                ("phone", "5125550100"),
            ],
        )
        .await
        .ok();
    c.check("terminal.location", &loc);
    let loc_id = loc["id"].as_str().expect("id").to_string();
    c.check(
        "terminal.location",
        &api.post(
            &format!("/v1/terminal/locations/{loc_id}"),
            &[("display_name", "Renamed")],
        )
        .await
        .ok(),
    );
    c.check(
        "terminal.location",
        &api.get(&format!("/v1/terminal/locations/{loc_id}"), &[])
            .await
            .ok(),
    );
    c.list(
        "terminal.location",
        &api.get("/v1/terminal/locations", &[]).await.ok(),
    );
    for code in ["simulated-wpe", "simulated-s700"] {
        c.check(
            "terminal.reader",
            &api.post(
                "/v1/terminal/readers",
                &[("registration_code", code), ("location", &loc_id)],
            )
            .await
            .ok(),
        );
    }
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
    c.check("terminal.reader", &physical);
    c.list(
        "terminal.reader",
        &api.get("/v1/terminal/readers", &[("location", &loc_id)])
            .await
            .ok(),
    );
    let reader = api
        .get(
            "/v1/terminal/readers",
            &[("device_type", "simulated_wisepos_e")],
        )
        .await
        .ok()["data"][0]["id"]
        .as_str()
        .expect("reader")
        .to_string();
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/terminal/readers/{reader}"),
            &[("label", "Till"), ("metadata[x]", "y")],
        )
        .await
        .ok(),
    );
    c.check(
        "terminal.connection_token",
        &api.post("/v1/terminal/connection_tokens", &[]).await.ok(),
    );
    c.check(
        "terminal.connection_token",
        &api.post("/v1/terminal/connection_tokens", &[("location", &loc_id)])
            .await
            .ok(),
    );

    // Manual capture, approved, with tipping config and a tip.
    let pi = api
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1200"),
                ("currency", "usd"),
                ("payment_method_types[]", "card_present"),
                ("capture_method", "manual"),
                ("metadata[o]", "1"),
                ("description", "Latte"),
            ],
        )
        .await
        .ok();
    c.check("payment_intent", &pi);
    let pi_id = pi["id"].as_str().expect("pi").to_string();
    c.check(
        "payment_intent",
        &api.post(
            &format!("/v1/payment_intents/{pi_id}"),
            &[("description", "Two lattes")],
        )
        .await
        .ok(),
    );
    api.enable_tipping("usd").await;
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/terminal/readers/{reader}/process_payment_intent"),
            &[
                ("payment_intent", &pi_id),
                ("process_config[skip_tipping]", "false"),
                ("process_config[tipping][amount_eligible]", "1000"),
                ("process_config[enable_customer_cancellation]", "true"),
            ],
        )
        .await
        .ok(),
    );
    c.check(
        "terminal.reader",
        &api.present(&reader, &[("amount_tip", "100")]).await.ok(),
    );
    let expanded = api
        .get(
            &format!("/v1/payment_intents/{pi_id}"),
            &[("expand[]", "latest_charge")],
        )
        .await
        .ok();
    c.check("payment_intent", &expanded);
    c.check("charge", &expanded["latest_charge"]);
    let captured = api
        .post(
            &format!("/v1/payment_intents/{pi_id}/capture"),
            &[("amount_to_capture", "1000")],
        )
        .await
        .ok();
    c.check("payment_intent", &captured);
    let charge = api
        .get(
            &format!(
                "/v1/charges/{}",
                captured["latest_charge"].as_str().expect("charge")
            ),
            &[],
        )
        .await
        .ok();
    c.check("charge", &charge);
    c.check(
        "payment_method_details_card_present",
        &charge["payment_method_details"]["card_present"],
    );
    let refund = api
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &pi_id),
                ("amount", "200"),
                ("reason", "requested_by_customer"),
                ("metadata[r]", "1"),
            ],
        )
        .await
        .ok();
    c.check("refund", &refund);
    c.check(
        "refund",
        &api.get(
            &format!("/v1/refunds/{}", refund["id"].as_str().unwrap_or("")),
            &[],
        )
        .await
        .ok(),
    );
    c.list("refund", &api.get("/v1/refunds", &[]).await.ok());

    // In-person refund, a display, a setup intent, collect/confirm, a decline, a cancel.
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/terminal/readers/{reader}/refund_payment"),
            &[
                ("payment_intent", &pi_id),
                ("amount", "100"),
                ("metadata[k]", "v"),
            ],
        )
        .await
        .ok(),
    );
    c.check("terminal.reader", &api.present(&reader, &[]).await.ok());
    c.check(
        "terminal.reader",
        &api.post(
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
        .await
        .ok(),
    );
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/terminal/readers/{reader}/process_setup_intent"),
            &[("setup_intent", "seti_1"), ("allow_redisplay", "always")],
        )
        .await
        .ok(),
    );
    c.check("terminal.reader", &api.present(&reader, &[]).await.ok());
    let pi2 = api.intent(700, "automatic").await;
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/terminal/readers/{reader}/collect_payment_method"),
            &[
                ("payment_intent", &pi2),
                ("collect_config[skip_tipping]", "true"),
            ],
        )
        .await
        .ok(),
    );
    c.check("terminal.reader", &api.present(&reader, &[]).await.ok());
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/terminal/readers/{reader}/confirm_payment_intent"),
            &[("payment_intent", &pi2)],
        )
        .await
        .ok(),
    );
    let declined = api.intent(1005, "automatic").await;
    api.process(&reader, &declined).await.ok();
    c.check("terminal.reader", &api.present(&reader, &[]).await.ok());
    c.check(
        "payment_intent",
        &api.get(
            &format!("/v1/payment_intents/{declined}"),
            &[("expand[]", "latest_charge")],
        )
        .await
        .ok(),
    );
    api.process(&reader, &declined).await.ok();
    c.check(
        "terminal.reader",
        &api.post(&format!("/v1/terminal/readers/{reader}/cancel_action"), &[])
            .await
            .ok(),
    );
    c.check(
        "payment_intent",
        &api.post(
            &format!("/v1/payment_intents/{declined}/cancel"),
            &[("cancellation_reason", "abandoned")],
        )
        .await
        .ok(),
    );
    c.list(
        "payment_intent",
        &api.get("/v1/payment_intents", &[("expand[]", "data.latest_charge")])
            .await
            .ok(),
    );
    // A timed-out action.
    let waiting = api.intent(300, "manual").await;
    api.process(&reader, &waiting).await.ok();
    sim.control("/clock/advance", json!({ "seconds": 400 }))
        .await;
    c.check(
        "terminal.reader",
        &api.get(&format!("/v1/terminal/readers/{reader}"), &[])
            .await
            .ok(),
    );

    receiver.wait_for("refund.created").await;
    let events = api.get("/v1/events", &[("limit", "100")]).await.ok();
    assert!(events["data"].as_array().is_some_and(|d| d.len() > 10));
    c.events(&events);
    for delivered in receiver.events().await {
        c.check("event", &delivered);
    }
    let first = events["data"][0]["id"].as_str().unwrap_or("").to_string();
    c.check(
        "event",
        &api.get(&format!("/v1/events/{first}"), &[]).await.ok(),
    );

    // Errors and deleted stubs.
    for r in [
        api.get("/v1/terminal/readers/tmr_missing", &[]).await,
        api.post("/v1/terminal/locations", &[("display_name", "x")])
            .await,
        api.post(
            "/v1/payment_intents",
            &[("amount", "x"), ("currency", "usd")],
        )
        .await,
        api.post(&format!("/v1/payment_intents/{pi_id}/capture"), &[])
            .await,
        api.post_idem(
            "/v1/terminal/connection_tokens",
            &[("location", "tml_x")],
            "k",
        )
        .await,
        api.post_idem("/v1/terminal/connection_tokens", &[], "k")
            .await,
        sim.new_api()
            .on("acct_nope")
            .get("/v1/terminal/readers", &[])
            .await,
        sim.api("sk_test_short")
            .get("/v1/terminal/readers", &[])
            .await,
    ] {
        assert!(r.status >= 400, "{:#}", r.body);
        c.check("error", &r.body);
    }
    c.check(
        "deleted_terminal.reader",
        &api.delete(&format!("/v1/terminal/readers/{reader}"))
            .await
            .ok(),
    );
    c.check(
        "deleted_terminal.location",
        &api.delete(&format!("/v1/terminal/locations/{loc_id}"))
            .await
            .ok(),
    );

    assert!(
        c.failures.is_empty(),
        "{} of {} responses do not match Stripe's schemas:\n{}",
        c.failures.len(),
        c.checked,
        c.failures.join("\n")
    );
    assert!(c.checked > 60, "only {} responses checked", c.checked);
}

/// Fills `{reader}`-style path parameters with real ids.
fn path_for(template: &str, ids: &Map<String, Value>) -> String {
    let mut path = template.to_string();
    for (name, id) in ids {
        path = path.replace(&format!("{{{name}}}"), id.as_str().unwrap_or(""));
    }
    path
}

#[tokio::test]
async fn every_documented_parameter_is_known_and_required_ones_are_enforced() {
    let sim = start().await;
    let api = sim.new_api();
    let (location, reader) = api.reader().await;
    let intent = api.intent(1000, "manual").await;
    let ids = json!({ "reader": reader, "location": location, "intent": intent });
    let ids = ids.as_object().cloned().unwrap_or_default();
    let data = load("contract-data.json");
    let mut problems = Vec::new();
    for (request, spec) in data["requests"].as_object().expect("requests") {
        let (method, template) = request.split_once(' ').expect("METHOD /path");
        let path = path_for(template, &ids);
        let method: reqwest::Method = method.parse().expect("method");
        let params = spec["params"].as_object().cloned().unwrap_or_default();
        for name in params.keys() {
            let form = [(name.as_str(), "x")];
            let r = api.send(method.clone(), &path, &form, None).await;
            if r.code() == "parameter_unknown" {
                problems.push(format!("{request}: {name} refused as unknown"));
            }
        }
        let required: Vec<&String> = params
            .iter()
            .filter(|(_, p)| p["required"] == true)
            .map(|(n, _)| n)
            .collect();
        if !required.is_empty() {
            let r = api.send(method.clone(), &path, &[], None).await;
            let param = r.body["error"]["param"].as_str().unwrap_or("");
            if r.code() != "parameter_missing" || !required.iter().any(|n| *n == param) {
                problems.push(format!("{request} without {required:?}: {}", r.body));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Account Links (contract-data-next.json): the object's fields and types, every documented
/// parameter known, the required ones enforced, and the link opening the hosted onboarding.
#[tokio::test]
async fn account_links_follow_the_contract() {
    let sim = start().await;
    let api = sim.new_api();
    let account = api
        .post("/v1/accounts", &[("type", "standard"), ("country", "GB")])
        .await
        .ok();
    assert_eq!(account["details_submitted"], false, "{account:#}");
    assert_eq!(account["charges_enabled"], false);
    let accounts = load("contract-data.json");
    let mut problems = Vec::new();
    fits(
        "account",
        &account,
        &json!({ "fields": accounts["objects"]["account"]["fields"] }),
        &mut problems,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let id = account["id"].as_str().expect("id");
    let data = load("contract-data-next.json");
    let spec = &data["requests"]["POST /v1/account_links"]["params"];
    for name in spec.as_object().expect("params").keys() {
        let r = api.post("/v1/account_links", &[(name.as_str(), "x")]).await;
        assert_ne!(r.code(), "parameter_unknown", "{name} refused as unknown");
    }
    let r = api.post("/v1/account_links", &[]).await;
    assert_eq!(r.code(), "parameter_missing", "{}", r.body);
    let link = api
        .post(
            "/v1/account_links",
            &[
                ("account", id),
                ("type", "account_onboarding"),
                ("refresh_url", "https://example.com/refresh"),
                ("return_url", "https://example.com/return"),
            ],
        )
        .await
        .ok();
    for (field, kind) in data["objects"]["account_link"]["fields"]
        .as_object()
        .expect("fields")
    {
        let value = &link[field];
        let fits = match kind.as_str() {
            Some("integer") => value.is_i64(),
            Some("string") => value.is_string(),
            _ => kind["enum"]
                .as_array()
                .is_some_and(|allowed| allowed.contains(value)),
        };
        assert!(fits, "{field} = {value} is not {kind}");
    }
    assert_eq!(
        link["expires_at"].as_i64().unwrap_or_default() - link["created"].as_i64().unwrap_or(0),
        300
    );
    let page = sim
        .http
        .get(link["url"].as_str().expect("url"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    // Another platform cannot make links for this account.
    let other = sim.new_api();
    let r = other
        .post(
            "/v1/account_links",
            &[("account", id), ("type", "account_onboarding")],
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "account_invalid"), "{}", r.body);
    let r = api
        .post(
            "/v1/account_links",
            &[("account", id), ("type", "account_update")],
        )
        .await;
    assert_eq!(
        r.status, 400,
        "Standard accounts have no account_update links"
    );
}

/// Whether `value` fits a field description of contract-data.json (`"string"`, `{"anyOf"}`,
/// `{"enum"}`, `{"fields"}`, `{"array"}`); fields the contract does not name are problems too.
fn fits(path: &str, value: &Value, kind: &Value, problems: &mut Vec<String>) {
    let ok = match kind {
        Value::String(t) => match t.as_str() {
            "string" => value.is_string(),
            "integer" => value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        },
        Value::Object(k) if k.contains_key("anyOf") => {
            let any = k["anyOf"].as_array().cloned().unwrap_or_default();
            let fitting = any.iter().any(|alt| {
                let mut inner = Vec::new();
                fits(path, value, alt, &mut inner);
                inner.is_empty()
            });
            if !fitting {
                problems.push(format!("{path} = {value} fits none of {kind}"));
            }
            return;
        }
        Value::Object(k) if k.contains_key("enum") => k["enum"]
            .as_array()
            .is_some_and(|allowed| allowed.contains(value)),
        Value::Object(k) if k.contains_key("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    fits(&format!("{path}[{i}]"), item, &k["array"], problems);
                }
                true
            }
            None => false,
        },
        Value::Object(k) if k.contains_key("fields") => match value.as_object() {
            Some(object) => {
                for (field, v) in object {
                    match k["fields"].get(field) {
                        Some(field_kind) => {
                            fits(&format!("{path}.{field}"), v, field_kind, problems)
                        }
                        None => problems.push(format!("{path}.{field} is not in the contract")),
                    }
                }
                true
            }
            None => false,
        },
        _ => true,
    };
    if !ok {
        problems.push(format!("{path} = {value} is not {kind}"));
    }
}

/// Reader configurations, files and collect_inputs (contract-data-next.json): the objects'
/// fields and types strictly, every documented parameter known, the required ones enforced,
/// and readers collecting inputs valid against the reader schema.
#[tokio::test]
async fn configurations_files_and_inputs_follow_the_contract() {
    let sim = start().await;
    let api = sim.new_api();
    let (location, reader) = api.reader().await;
    let data = load("contract-data-next.json");
    let objects = &data["objects"];
    let mut problems = Vec::new();
    let check = |name: &str, value: &Value, problems: &mut Vec<String>| {
        assert!(value.is_object(), "{name}: {value}");
        fits(
            name,
            value,
            &json!({ "fields": objects[name]["fields"] }),
            problems,
        );
    };

    let file = api
        .upload("terminal_reader_splashscreen", "splash.png", png(5000))
        .await
        .ok();
    check("file", &file, &mut problems);
    let file_id = file["id"].as_str().expect("file").to_string();
    check(
        "file",
        &api.get(&format!("/v1/files/{file_id}"), &[]).await.ok(),
        &mut problems,
    );
    for f in api.get("/v1/files", &[]).await.ok()["data"]
        .as_array()
        .expect("data")
    {
        check("file", f, &mut problems);
    }
    let config = api
        .post(
            "/v1/terminal/configurations",
            &[
                ("name", "Bar"),
                ("bbpos_wisepos_e[splashscreen]", &file_id),
                ("stripe_s700[splashscreen]", &file_id),
                ("tipping[usd][percentages][0]", "15"),
                ("tipping[usd][fixed_amounts][0]", "100"),
                ("tipping[usd][smart_tip_threshold]", "1000"),
                ("tipping[eur][percentages][0]", "10"),
                ("reboot_window[start_hour]", "1"),
                ("reboot_window[end_hour]", "3"),
                ("offline[enabled]", "true"),
                ("cellular[enabled]", "false"),
                ("reader_security[admin_menu_passcode]", "1234"),
                ("wifi[type]", "personal_psk"),
                ("wifi[personal_psk][ssid]", "Shop"),
                ("wifi[personal_psk][password]", "secret-pass"),
            ],
        )
        .await
        .ok();
    check("terminal.configuration", &config, &mut problems);
    let config_id = config["id"].as_str().expect("config").to_string();
    let expanded = api
        .get(
            &format!("/v1/terminal/configurations/{config_id}"),
            &[("expand[]", "bbpos_wisepos_e.splashscreen")],
        )
        .await
        .ok();
    check("terminal.configuration", &expanded, &mut problems);
    check(
        "file",
        &expanded["bbpos_wisepos_e"]["splashscreen"],
        &mut problems,
    );
    for c in api.get("/v1/terminal/configurations", &[]).await.ok()["data"]
        .as_array()
        .expect("data")
    {
        check("terminal.configuration", c, &mut problems);
    }
    check(
        "terminal.configuration",
        &api.post(
            &format!("/v1/terminal/configurations/{config_id}"),
            &[("tipping", ""), ("name", "Renamed")],
        )
        .await
        .ok(),
        &mut problems,
    );

    // Readers collecting inputs validate against the reader schema with the 2026 fields.
    let mut c = Checker {
        defs: definitions(),
        failures: Vec::new(),
        checked: 0,
    };
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/terminal/readers/{reader}/collect_inputs"),
            &[
                ("inputs[0][type]", "email"),
                ("inputs[0][custom_text][title]", "Email"),
                ("inputs[0][required]", "true"),
                ("inputs[1][type]", "selection"),
                ("inputs[1][custom_text][title]", "Size"),
                ("inputs[1][selection][choices][0][id]", "s"),
                ("inputs[1][selection][choices][0][text]", "Small"),
                ("inputs[1][selection][choices][0][style]", "primary"),
                ("inputs[1][toggles][0][title]", "News"),
                ("inputs[1][toggles][0][default_value]", "enabled"),
                ("inputs[2][type]", "signature"),
                ("inputs[2][custom_text][title]", "Sign"),
                ("metadata[order]", "7"),
            ],
        )
        .await
        .ok(),
    );
    c.check(
        "terminal.reader",
        &api.post(
            &format!("/v1/test_helpers/terminal/readers/{reader}/succeed_input_collection"),
            &[],
        )
        .await
        .ok(),
    );
    assert!(c.failures.is_empty(), "{}", c.failures.join("\n"));

    // Every documented parameter is known; calls without the required ones are refused.
    let ids = json!({ "reader": reader, "location": location, "configuration": config_id });
    let ids = ids.as_object().cloned().unwrap_or_default();
    for (request, spec) in data["requests"].as_object().expect("requests") {
        if request.contains("account_links") {
            continue;
        }
        let (method, template) = request.split_once(' ').expect("METHOD /path");
        let path = path_for(template, &ids);
        let method: reqwest::Method = method.parse().expect("method");
        let params = spec["params"].as_object().cloned().unwrap_or_default();
        for name in params.keys() {
            let r = api
                .send(method.clone(), &path, &[(name.as_str(), "x")], None)
                .await;
            if r.code() == "parameter_unknown" {
                problems.push(format!("{request}: {name} refused as unknown"));
            }
        }
        let required: Vec<&String> = params
            .iter()
            .filter(|(_, p)| p["required"] == true)
            .map(|(n, _)| n)
            .collect();
        if !required.is_empty() {
            let r = api.send(method.clone(), &path, &[], None).await;
            let param = r.body["error"]["param"].as_str().unwrap_or("");
            if r.code() != "parameter_missing" || !required.iter().any(|n| *n == param) {
                problems.push(format!("{request} without {required:?}: {}", r.body));
            }
        }
    }
    let deleted = api
        .delete(&format!("/v1/terminal/configurations/{config_id}"))
        .await
        .ok();
    check("terminal.configuration", &deleted, &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
