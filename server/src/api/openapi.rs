//! The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`. Tests call every
//! path it lists and check each answer against the schema it names, so the two cannot drift.

use super::long_poll::MAX_WAIT_SECONDS;
use axum::Json;
use serde_json::{json, Value};

pub async fn document() -> Json<Value> {
    Json(spec())
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn ok(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}
    })
}

fn id_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
           "schema": {"type": "string"}})
}

fn idempotency_param(required: bool) -> Value {
    json!({
        "name": "Idempotency-Key", "in": "header", "required": required,
        "description": "A unique value per operation (a UUID), sent again unchanged on every retry of it. A retry gets the first answer again, with `Idempotent-Replayed: true`; the operation never runs twice. Kept for 24 hours.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255}
    })
}

/// Answers every authenticated call can give besides its own.
fn common_errors(mut responses: Value) -> Value {
    let extra = [
        ("400", "The request is invalid: `param` names the field."),
        ("401", "No API key, or one that is not valid."),
        (
            "403",
            "The key's scope does not allow this call (`insufficient_scope`).",
        ),
        (
            "429",
            "Too many requests with this key (`rate_limited`); see Retry-After.",
        ),
    ];
    if let Some(map) = responses.as_object_mut() {
        for (status, text) in extra {
            map.entry(status).or_insert_with(|| error_response(text));
        }
    }
    responses
}

pub fn spec() -> Value {
    let payment_id = id_param(
        "id",
        "The payment's id (a Stripe PaymentIntent id, `pi_…`).",
    );
    let reader_id = id_param("id", "The reader's id (`tmr_…`).");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Terminal Fleet point-of-sale API",
            "version": "1.0.0",
            "description": "Start card-present payments on Stripe Terminal smart readers and learn their outcome. Authenticate with an API key from Settings → API keys as `Authorization: Bearer tfk_…`. Amounts are integers in the currency's smallest unit (cents for USD); times are Unix seconds. Errors are `{\"error\": {\"code\", \"message\", \"param\"}}` with a stable `code`."
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "tags": [
            {"name": "Readers", "description": "The organisation's readers and their live status."},
            {"name": "Payments", "description": "Payments taken on a reader."},
            {"name": "Test helpers", "description": "Only for simulated readers."}
        ],
        "paths": {
            "/readers": {"get": {
                "tags": ["Readers"], "operationId": "listReaders",
                "summary": "List readers with their status",
                "description": "Scope: read. Fifty readers a page, sorted by label.",
                "parameters": [
                    {"name": "status", "in": "query", "required": false,
                     "schema": {"type": "string", "enum": ["online", "offline", "busy"]}},
                    {"name": "location", "in": "query", "required": false,
                     "description": "A location id (`tml_…`).", "schema": {"type": "string"}},
                    {"name": "device_type", "in": "query", "required": false,
                     "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "required": false,
                     "schema": {"type": "integer", "minimum": 1}}
                ],
                "responses": common_errors(json!({"200": ok("A page of readers.", "ReaderList")}))
            }},
            "/readers/{id}": {"get": {
                "tags": ["Readers"], "operationId": "getReader", "summary": "Get a reader",
                "description": "Scope: read.",
                "parameters": [reader_id],
                "responses": common_errors(json!({
                    "200": ok("The reader.", "Reader"),
                    "404": error_response("No such reader in this organisation.")
                }))
            }},
            "/readers/{id}/cancel_action": {"post": {
                "tags": ["Readers"], "operationId": "cancelReaderAction",
                "summary": "Cancel what the reader is doing",
                "description": "Scope: pos. Stops a payment the reader is collecting; the payment stays open until you cancel it.",
                "parameters": [reader_id],
                "responses": common_errors(json!({
                    "200": ok("The reader, now idle.", "Reader"),
                    "404": error_response("No such reader."),
                    "409": error_response("Stripe refused: `code` is Stripe's, such as `terminal_reader_offline`.")
                }))
            }},
            "/test_helpers/readers/{id}/present_payment_method": {"post": {
                "tags": ["Test helpers"], "operationId": "presentPaymentMethod",
                "summary": "Tap a test card on a simulated reader",
                "description": "Scope: pos. Simulated readers only: completes the payment the reader is collecting with one of Stripe's test cards (4242424242424242 approves; 4000000000000002 is declined; 4000000000009995 has insufficient funds).",
                "parameters": [reader_id.clone(), idempotency_param(false)],
                "requestBody": {"required": false, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PresentPaymentMethod"}}}},
                "responses": common_errors(json!({
                    "200": ok("The reader after the tap.", "Reader"),
                    "404": error_response("No such reader."),
                    "409": error_response("Not a simulated reader, or the reader is not collecting a payment.")
                }))
            }},
            "/readers/{id}/display": {
                "post": {
                    "tags": ["Readers"], "operationId": "showCart",
                    "summary": "Show a cart on the reader",
                    "description": "Scope: pos. Shows line items, tax and total on the reader's screen (Stripe's `set_reader_display`) while the customer waits to pay. The line items times their quantities plus tax must equal `total`, so the customer never sees one total and pays another. Refused while the reader collects a payment.",
                    "parameters": [reader_id.clone(), idempotency_param(false)],
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Display"}}}},
                    "responses": common_errors(json!({
                        "200": ok("The reader, showing the cart.", "Reader"),
                        "404": error_response("No such reader."),
                        "409": error_response("Stripe refused: `code` is Stripe's, such as `terminal_reader_offline` or `terminal_reader_busy`.")
                    }))
                },
                "delete": {
                    "tags": ["Readers"], "operationId": "clearCart",
                    "summary": "Clear the cart from the reader",
                    "description": "Scope: pos. Returns the reader to its idle screen. Only a cart is cleared: while the reader collects a payment or inputs this answers 409 `reader_busy` (use cancel_action for those). A reader showing nothing is already clear.",
                    "parameters": [reader_id.clone(), idempotency_param(false)],
                    "responses": common_errors(json!({
                        "200": ok("The reader, idle.", "Reader"),
                        "404": error_response("No such reader."),
                        "409": error_response("The reader is busy with a payment or inputs (`reader_busy`), or Stripe refused.")
                    }))
                }
            },
            "/readers/{id}/collect_inputs": {
                "post": {
                    "tags": ["Readers"], "operationId": "collectInputs",
                    "summary": "Ask the customer on the reader's screen",
                    "description": "Scope: pos. Up to five inputs (Stripe's `collect_inputs`): an email for a receipt, a phone number, text, a number, a signature or a choice, each with toggles if wanted. Learn the answers with `GET …/collect_inputs?wait=30s`. The answers are read from Stripe when asked and never stored by Terminal Fleet.",
                    "parameters": [reader_id.clone(), idempotency_param(false)],
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/CollectInputs"}}}},
                    "responses": common_errors(json!({
                        "200": ok("The collection, in progress.", "InputCollection"),
                        "404": error_response("No such reader."),
                        "409": error_response("Stripe refused: the reader is offline or busy (`code` is Stripe's).")
                    }))
                },
                "get": {
                    "tags": ["Readers"], "operationId": "getInputCollection",
                    "summary": "The answers, or wait for them",
                    "description": format!("Scope: pos. The reader's last collection of inputs. With `wait`, held until the customer answered or the collection failed (at most {MAX_WAIT_SECONDS} s)."),
                    "parameters": [reader_id.clone(),
                        {"name": "wait", "in": "query", "required": false,
                         "description": "Seconds to wait for the answers, such as `30s`.",
                         "schema": {"type": "string", "pattern": "^([0-9]|[1-4][0-9]|50)s?$"}}],
                    "responses": common_errors(json!({
                        "200": ok("The collection as it is now.", "InputCollection"),
                        "404": error_response("No such reader, or its last action was not a collection of inputs (`no_input_collection`)."),
                        "409": error_response("Stripe could not be asked.")
                    }))
                }
            },
            "/test_helpers/readers/{id}/succeed_input_collection": {"post": {
                "tags": ["Test helpers"], "operationId": "succeedInputCollection",
                "summary": "A simulated customer answers",
                "description": "Scope: pos. Simulated readers only: answers every input the reader asks (`skip_optional` leaves the optional ones unanswered).",
                "parameters": [reader_id.clone(), idempotency_param(false)],
                "requestBody": {"required": false, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SucceedInputCollection"}}}},
                "responses": common_errors(json!({
                    "200": ok("The reader after answering.", "Reader"),
                    "404": error_response("No such reader."),
                    "409": error_response("Not a simulated reader, or the reader is not collecting inputs.")
                }))
            }},
            "/test_helpers/readers/{id}/timeout_input_collection": {"post": {
                "tags": ["Test helpers"], "operationId": "timeoutInputCollection",
                "summary": "A simulated customer walks away",
                "description": "Scope: pos. Simulated readers only: the collection fails as if the customer did not answer in time.",
                "parameters": [reader_id.clone(), idempotency_param(false)],
                "responses": common_errors(json!({
                    "200": ok("The reader after the timeout.", "Reader"),
                    "404": error_response("No such reader."),
                    "409": error_response("Not a simulated reader, or the reader is not collecting inputs.")
                }))
            }},
            "/payments": {"post": {
                "tags": ["Payments"], "operationId": "createPayment",
                "summary": "Start a payment on a reader",
                "description": "Scope: pos. Creates a card-present PaymentIntent and hands it to the reader, which asks the customer for their card. The answer comes at once with `outcome: pending`; wait for the outcome with `GET /payments/{id}?wait=30s`.",
                "parameters": [idempotency_param(true)],
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/CreatePayment"}}}},
                "responses": common_errors(json!({
                    "201": ok("The payment, sent to the reader.", "Payment"),
                    "404": error_response("No such reader (`param`: `reader`)."),
                    "409": error_response("The reader could not take it: `code` is Stripe's (`terminal_reader_offline`, `terminal_reader_busy`, …), or `idempotency_in_progress`."),
                    "422": error_response("The Idempotency-Key was used for a different request (`idempotency_key_reused`).")
                }))
            }},
            "/payments/{id}": {"get": {
                "tags": ["Payments"], "operationId": "getPayment", "summary": "Get a payment, or wait for its outcome",
                "description": format!("Scope: read. With `wait`, the request is held until the payment's `outcome` is no longer `pending`, or until the time is up (at most {MAX_WAIT_SECONDS} s); either way the answer is the payment as it is then."),
                "parameters": [payment_id.clone(),
                    {"name": "wait", "in": "query", "required": false,
                     "description": "Seconds to wait for an outcome, such as `30s`.",
                     "schema": {"type": "string", "pattern": "^([0-9]|[1-4][0-9]|50)s?$"}}],
                "responses": common_errors(json!({
                    "200": ok("The payment.", "Payment"),
                    "404": error_response("No such payment in this organisation.")
                }))
            }},
            "/payments/{id}/capture": {"post": {
                "tags": ["Payments"], "operationId": "capturePayment", "summary": "Capture an authorized payment",
                "description": "Scope: payments. For payments started with `capture_method: manual` whose outcome is `requires_capture`.",
                "parameters": [payment_id.clone(), idempotency_param(false)],
                "responses": common_errors(json!({
                    "200": ok("The captured payment.", "Payment"),
                    "404": error_response("No such payment."),
                    "409": error_response("Stripe refused: the payment cannot be captured now.")
                }))
            }},
            "/payments/{id}/cancel": {"post": {
                "tags": ["Payments"], "operationId": "cancelPayment", "summary": "Cancel a payment that has not succeeded",
                "description": "Scope: pos.",
                "parameters": [payment_id.clone(), idempotency_param(false)],
                "responses": common_errors(json!({
                    "200": ok("The canceled payment.", "Payment"),
                    "404": error_response("No such payment."),
                    "409": error_response("Stripe refused: the payment cannot be canceled now.")
                }))
            }},
            "/payments/{id}/refunds": {"post": {
                "tags": ["Payments"], "operationId": "refundPayment", "summary": "Refund a payment, fully or in part",
                "description": "Scope: payments.",
                "parameters": [payment_id, idempotency_param(true)],
                "requestBody": {"required": false, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Refund"}}}},
                "responses": common_errors(json!({
                    "200": ok("The payment with its refunded amount.", "Payment"),
                    "404": error_response("No such payment."),
                    "409": error_response("Nothing left to refund, or Stripe refused."),
                    "422": error_response("The Idempotency-Key was used for a different request.")
                }))
            }}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "An API key from Settings → API keys (`tfk_…`)."}},
            "schemas": schemas()
        }
    })
}

fn schemas() -> Value {
    let mut all = core_schemas();
    if let (Some(all), Value::Object(more)) = (all.as_object_mut(), screen_schemas()) {
        all.extend(more);
    }
    all
}

/// Readers, payments and errors.
fn core_schemas() -> Value {
    json!({
        "Error": {
            "type": "object", "required": ["error"], "additionalProperties": false,
            "properties": {"error": {
                "type": "object", "required": ["code", "message", "param"], "additionalProperties": false,
                "properties": {
                    "code": {"type": "string", "description": "Stable, for programs: `invalid_field`, `invalid_json`, `bad_request`, `unauthenticated`, `forbidden`, `insufficient_scope`, `not_found`, `no_such_endpoint`, `method_not_allowed`, `rate_limited`, `idempotency_key_required`, `idempotency_key_reused`, `idempotency_in_progress`, `conflict`, `internal`, or Stripe's own code when Stripe refused (`terminal_reader_offline`, …)."},
                    "message": {"type": "string", "description": "For people."},
                    "param": {"type": ["string", "null"], "description": "The field at fault."}
                }
            }}
        },
        "Reader": {
            "type": "object", "additionalProperties": false,
            "required": ["id", "object", "label", "location", "location_name", "device_type", "serial_number",
                         "software_version", "ip_address", "status", "busy", "action", "last_seen_at"],
            "properties": {
                "id": {"type": "string"},
                "object": {"const": "terminal_reader"},
                "label": {"type": "string"},
                "location": nullable("string"),
                "location_name": nullable("string"),
                "device_type": {"type": "string", "examples": ["bbpos_wisepos_e", "stripe_s700", "simulated_wisepos_e"]},
                "serial_number": {"type": "string"},
                "software_version": nullable("string"),
                "ip_address": nullable("string"),
                "status": {"type": "string", "enum": ["online", "offline"]},
                "busy": {"type": "boolean", "description": "Collecting a payment or otherwise working."},
                "action": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/ReaderAction"}]},
                "last_seen_at": nullable("integer")
            }
        },
        "ReaderAction": {
            "type": "object", "additionalProperties": false,
            "required": ["type", "status", "payment", "failure_message"],
            "properties": {
                "type": {"type": "string", "examples": ["process_payment_intent"]},
                "status": {"type": "string", "enum": ["in_progress", "succeeded", "failed"]},
                "payment": nullable("string"),
                "failure_message": nullable("string")
            }
        },
        "ReaderList": {
            "type": "object", "additionalProperties": false,
            "required": ["object", "data", "page", "pages", "total", "has_more"],
            "properties": {
                "object": {"const": "list"},
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Reader"}},
                "page": {"type": "integer", "minimum": 1},
                "pages": {"type": "integer", "minimum": 1},
                "total": {"type": "integer", "minimum": 0},
                "has_more": {"type": "boolean"}
            }
        },
        "Payment": {
            "type": "object", "additionalProperties": false,
            "required": ["id", "object", "amount", "currency", "description", "capture_method", "status", "outcome",
                         "amount_capturable", "amount_received", "amount_refunded", "reader", "location", "card",
                         "failure", "started_by", "created"],
            "properties": {
                "id": {"type": "string"},
                "object": {"const": "payment"},
                "amount": {"type": "integer"},
                "currency": {"type": "string", "pattern": "^[a-z]{3}$"},
                "description": nullable("string"),
                "capture_method": {"type": "string", "enum": ["automatic", "manual"]},
                "status": {"type": "string", "description": "Stripe's PaymentIntent status."},
                "outcome": {"type": "string",
                    "enum": ["pending", "succeeded", "requires_capture", "declined", "canceled", "reader_failed"],
                    "description": "Where the payment stands. `pending`: not decided yet, ask again (`?wait=30s`). Every other outcome is final and comes only from facts about this payment: `succeeded`, `requires_capture`, `canceled` and `declined` from its PaymentIntent, `reader_failed` only after Stripe confirmed the reader gave up on it before a card was presented (nobody paid). `declined` and `reader_failed` carry `failure`."},
                "amount_capturable": {"type": "integer"},
                "amount_received": {"type": "integer"},
                "amount_refunded": {"type": "integer"},
                "reader": nullable("string"),
                "location": nullable("string"),
                "card": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Card"}]},
                "failure": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Failure"}]},
                "started_by": {"type": ["string", "null"], "description": "The person or API key that started it."},
                "created": {"type": "integer"}
            }
        },
        "Card": {
            "type": "object", "additionalProperties": false, "required": ["brand", "last4", "read_method"],
            "properties": {"brand": nullable("string"), "last4": nullable("string"), "read_method": nullable("string")}
        },
        "Failure": {
            "type": "object", "additionalProperties": false, "required": ["code", "message"],
            "properties": {"code": {"type": ["string", "null"], "examples": ["insufficient_funds"]}, "message": {"type": "string"}}
        },
        "CreatePayment": {
            "type": "object", "additionalProperties": false, "required": ["reader", "amount"],
            "properties": {
                "reader": {"type": "string", "description": "The reader's id."},
                "amount": {"type": "integer", "minimum": 1, "maximum": 99_999_999},
                "currency": {"type": "string", "description": "Three-letter ISO code; the account's default currency when left out."},
                "description": {"type": "string", "maxLength": 200},
                "capture_method": {"type": "string", "enum": ["automatic", "manual"], "default": "automatic"},
                "line_items": {"type": "array", "minItems": 1, "maxItems": 100,
                    "items": {"$ref": "#/components/schemas/LineItem"},
                    "description": "Shown on the reader as a cart before it asks for the card. The line items times their quantities plus `tax` must equal `amount`."},
                "tax": {"type": "integer", "minimum": 0, "description": "Only with `line_items`."}
            }
        },
        "Refund": {
            "type": "object", "additionalProperties": false,
            "properties": {"amount": {"type": "integer", "minimum": 1, "description": "Left out: all that is left to refund."}}
        },
        "PresentPaymentMethod": {
            "type": "object", "additionalProperties": false,
            "properties": {"card_number": {"type": "string", "default": "4242424242424242"}}
        }
    })
}

/// The reader's screen: carts and questions.
fn screen_schemas() -> Value {
    json!({
        "LineItem": {
            "type": "object", "additionalProperties": false, "required": ["description", "amount"],
            "properties": {
                "description": {"type": "string", "minLength": 1, "maxLength": 5000},
                "amount": {"type": "integer", "minimum": -99_999_999, "maximum": 99_999_999, "description": "Per item; negative for a discount."},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1}
            }
        },
        "Display": {
            "type": "object", "additionalProperties": false, "required": ["line_items", "total"],
            "properties": {
                "line_items": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"$ref": "#/components/schemas/LineItem"}},
                "tax": {"type": "integer", "minimum": 0, "default": 0},
                "total": {"type": "integer", "description": "The line items times their quantities plus tax."},
                "currency": {"type": "string", "description": "Three-letter ISO code, lower case; the account's default currency when left out."}
            }
        },
        "CollectInputs": {
            "type": "object", "additionalProperties": false, "required": ["inputs"],
            "properties": {
                "inputs": {"type": "array", "minItems": 1, "maxItems": 5, "items": {"$ref": "#/components/schemas/Input"}},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        },
        "Input": {
            "type": "object", "additionalProperties": false, "required": ["type", "custom_text"],
            "properties": {
                "type": {"type": "string", "enum": ["email", "numeric", "phone", "selection", "signature", "text"]},
                "custom_text": {"type": "object", "additionalProperties": false, "required": ["title"],
                    "properties": {
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "submit_button": {"type": "string", "maxLength": 30},
                        "skip_button": {"type": "string", "maxLength": 14}
                    }},
                "required": {"type": "boolean", "default": false},
                "selection": {"type": "object", "additionalProperties": false, "required": ["choices"],
                    "description": "For `selection` inputs: the choices.",
                    "properties": {"choices": {"type": "array", "items": {
                        "type": "object", "additionalProperties": false, "required": ["id", "text"],
                        "properties": {"id": {"type": "string"}, "text": {"type": "string"},
                                       "style": {"type": "string", "enum": ["primary", "secondary"]}}}}}},
                "toggles": {"type": "array", "items": {
                    "type": "object", "additionalProperties": false,
                    "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                                   "default_value": {"type": "string", "enum": ["enabled", "disabled"]}}}}
            }
        },
        "InputCollection": {
            "type": "object", "additionalProperties": false,
            "required": ["object", "reader", "status", "failure_code", "failure_message", "inputs", "metadata"],
            "properties": {
                "object": {"const": "input_collection"},
                "reader": {"type": "string"},
                "status": {"type": "string", "enum": ["in_progress", "succeeded", "failed"]},
                "failure_code": nullable("string"),
                "failure_message": nullable("string"),
                "inputs": {"type": "array", "items": {
                    "type": "object", "additionalProperties": false,
                    "required": ["type", "title", "required", "skipped", "value", "toggles"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": nullable("string"),
                        "required": {"type": "boolean"},
                        "skipped": {"type": "boolean"},
                        "value": {"type": ["string", "null"], "description": "The answer: what was typed, the chosen choice's id, or for a signature the id of the Stripe file holding it."},
                        "toggles": {"type": "array", "items": {
                            "type": "object", "additionalProperties": false, "required": ["title", "value"],
                            "properties": {"title": nullable("string"), "value": nullable("string")}}}
                    }}},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        },
        "SucceedInputCollection": {
            "type": "object", "additionalProperties": false,
            "properties": {"skip_optional": {"type": "boolean", "default": false}}
        }
    })
}
