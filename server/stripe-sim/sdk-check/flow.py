"""Drives the simulator with Stripe's official Python SDK, unmodified, through the whole
server-driven Terminal flow and the error cases. Exits non-zero on the first failure.

STRIPE_SIM_URL names the simulator (e.g. http://127.0.0.1:12111).
"""

import http.server
import io
import json
import os
import secrets
import sys
import threading
import time

import stripe

BASE = os.environ.get("STRIPE_SIM_URL", "http://127.0.0.1:12111")
stripe.api_base = BASE
# Stripe takes uploads at files.stripe.com; the simulator on its own address.
stripe.upload_api_base = BASE
stripe.api_key = "sk_test_sdk" + secrets.token_hex(8)
stripe.max_network_retries = 2

ADDRESS = {"line1": "1 Market St", "city": "San Francisco", "state": "CA",
           "postal_code": "94105", "country": "US"}

received = []


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received.append((body, self.headers.get("Stripe-Signature"), self.path))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def expect_error(cls, fn, code=None):
    try:
        fn()
    except cls as e:
        if code is not None and e.code != code:
            raise AssertionError(f"expected code {code}, got {e.code}: {e.user_message}")
        return e
    raise AssertionError(f"expected {cls.__name__}")


def control(path, body=None):
    import urllib.request
    req = urllib.request.Request(f"{BASE}/_sim{path}", data=json.dumps(body or {}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    return json.loads(urllib.request.urlopen(req).read())


def step(name):
    print(f"  ✓ {name}", flush=True)


def reader_configurations_and_the_tills_screen(reader, location):
    png = io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(4000))
    png.name = "splash.png"
    splash = stripe.File.create(purpose="terminal_reader_splashscreen", file=png)
    assert splash.id.startswith("file_") and splash.type == "png" and splash.size == 4008
    assert stripe.File.retrieve(splash.id).purpose == "terminal_reader_splashscreen"
    assert [f.id for f in stripe.File.list(purpose="terminal_reader_splashscreen").data] == [splash.id]
    text = io.BytesIO(b"not an image")
    text.name = "notes.txt"
    e = expect_error(stripe.InvalidRequestError,
                     lambda: stripe.File.create(purpose="terminal_reader_splashscreen", file=text))
    assert e.param == "file", e.param
    step("splash screen uploaded as a file; a text file refused")

    default = stripe.terminal.Configuration.list(is_account_default=True).data[0]
    assert default.is_account_default is True
    config = stripe.terminal.Configuration.create(
        name="SDK bar",
        bbpos_wisepos_e={"splashscreen": splash.id},
        tipping={"usd": {"percentages": [15, 18, 20], "fixed_amounts": [100, 200, 300],
                         "smart_tip_threshold": 1000}},
        reboot_window={"start_hour": 1, "end_hour": 3},
        offline={"enabled": True},
    )
    assert config.id.startswith("tmc_") and config.is_account_default is False
    assert config.tipping.usd.percentages == [15, 18, 20]
    assert config.reboot_window.end_hour == 3
    expanded = stripe.terminal.Configuration.retrieve(config.id, expand=["bbpos_wisepos_e.splashscreen"])
    assert expanded.bbpos_wisepos_e.splashscreen.id == splash.id
    config = stripe.terminal.Configuration.modify(config.id, name="SDK bar 2",
                                                  stripe_s700={"splashscreen": splash.id})
    assert config.name == "SDK bar 2" and config.stripe_s700.splashscreen == splash.id
    ids = [c.id for c in stripe.terminal.Configuration.list(limit=1).auto_paging_iter()]
    assert ids == [config.id, default.id], ids
    e = expect_error(stripe.InvalidRequestError,
                     lambda: stripe.terminal.Configuration.create(tipping={"usd": {"percentages": ["lots"]}}),
                     "parameter_invalid_integer")
    expect_error(stripe.InvalidRequestError, lambda: stripe.terminal.Configuration.delete(default.id))
    step("configurations: default, create, expand, modify, list, errors")

    stripe.terminal.Location.modify(location.id, configuration_overrides=config.id)
    pi = stripe.PaymentIntent.create(amount=1000, currency="usd", payment_method_types=["card_present"])
    stripe.terminal.Reader.process_payment_intent(
        reader.id, payment_intent=pi.id, process_config={"tipping": {"amount_eligible": 1000}})
    done = stripe.terminal.Reader.TestHelpers.present_payment_method(reader.id, amount_tip=150)
    assert done.action.status == "succeeded"
    pi = stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert pi.amount == 1150 and pi.amount_received == 1150, pi.amount
    assert pi.amount_details.tip.amount == 150
    assert pi.latest_charge.amount == 1150
    step("a tipped payment by the location's configuration")

    shown = stripe.terminal.Reader.set_reader_display(
        reader.id, type="cart",
        cart={"currency": "usd", "tax": 100, "total": 1100,
              "line_items": [{"description": "Latte", "amount": 500, "quantity": 2}]})
    assert shown.action.set_reader_display.cart.line_items[0].quantity == 2
    inputs = [
        {"type": "email", "custom_text": {"title": "Email", "skip_button": "Skip"}, "required": True},
        {"type": "selection", "custom_text": {"title": "Size"},
         "selection": {"choices": [{"id": "s", "text": "Small", "style": "primary"},
                                   {"id": "l", "text": "Large", "style": "secondary"}]},
         "toggles": [{"title": "News", "default_value": "enabled"}]},
        {"type": "signature", "custom_text": {"title": "Sign"}},
    ]
    waiting = stripe.terminal.Reader.collect_inputs(reader.id, inputs=inputs, metadata={"order": "1"})
    assert waiting.action.type == "collect_inputs" and waiting.action.status == "in_progress"
    done = stripe.terminal.Reader.TestHelpers.succeed_input_collection(reader.id)
    collected = done.action.collect_inputs.inputs
    assert done.action.status == "succeeded"
    assert "@" in collected[0].email.value and collected[1].selection.id == "s"
    assert collected[1].toggles[0].value == "enabled"
    assert collected[2].signature.value.startswith("file_")
    stripe.terminal.Reader.collect_inputs(reader.id, inputs=inputs)
    done = stripe.terminal.Reader.TestHelpers.succeed_input_collection(
        reader.id, skip_non_required_inputs="all")
    assert [i.skipped for i in done.action.collect_inputs.inputs] == [False, True, True]
    stripe.terminal.Reader.collect_inputs(reader.id, inputs=inputs)
    failed = stripe.terminal.Reader.TestHelpers.timeout_input_collection(reader.id)
    assert failed.action.status == "failed" and failed.action.failure_code == "terminal_reader_timeout"
    stripe.terminal.Reader.collect_inputs(reader.id, inputs=inputs)
    assert stripe.terminal.Reader.cancel_action(reader.id).action is None
    step("cart display; collect_inputs succeeded, skipped, timed out, cancelled")

    stripe.terminal.Location.modify(location.id, configuration_overrides="")
    assert stripe.terminal.Configuration.delete(config.id).deleted is True
    step("configuration removed from the location and deleted")


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    endpoint = stripe.WebhookEndpoint.create(url=hook_url, enabled_events=["*"])
    assert endpoint.secret.startswith("whsec_")
    step("webhook endpoint created with a whsec_ secret")

    location = stripe.terminal.Location.create(display_name="SDK store", address=ADDRESS)
    assert location.id.startswith("tml_")
    reader = stripe.terminal.Reader.create(registration_code="simulated-wpe",
                                           label="SDK till", location=location.id)
    assert reader.device_type == "simulated_wisepos_e" and reader.status == "online"
    step("location and simulated reader")

    pi = stripe.PaymentIntent.create(amount=2000, currency="usd",
                                     payment_method_types=["card_present"],
                                     capture_method="manual")
    reader = stripe.terminal.Reader.process_payment_intent(reader.id, payment_intent=pi.id)
    assert reader.action.status == "in_progress"
    reader = stripe.terminal.Reader.TestHelpers.present_payment_method(reader.id)
    assert reader.action.status == "succeeded"
    pi = stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert pi.status == "requires_capture", pi.status
    assert pi.latest_charge.payment_method_details.card_present.last4 == "4242"
    pi = stripe.PaymentIntent.capture(pi.id)
    assert pi.status == "succeeded"
    refund = stripe.Refund.create(payment_intent=pi.id)
    assert refund.status == "succeeded" and refund.amount == 2000
    step("process, present card, capture, refund")

    decline = stripe.PaymentIntent.create(amount=1000, currency="usd",
                                          payment_method_types=["card_present"])
    stripe.terminal.Reader.process_payment_intent(reader.id, payment_intent=decline.id)
    reader = stripe.terminal.Reader.TestHelpers.present_payment_method(
        reader.id, card_present={"number": "4000000000009995"})
    assert reader.action.status == "failed"
    decline = stripe.PaymentIntent.retrieve(decline.id)
    assert decline.status == "requires_payment_method"
    assert decline.last_payment_error.decline_code == "insufficient_funds"
    step("decline with insufficient funds")

    by_amount = stripe.PaymentIntent.create(amount=1005, currency="usd",
                                            payment_method_types=["card_present"])
    stripe.terminal.Reader.process_payment_intent(reader.id, payment_intent=by_amount.id)
    reader = stripe.terminal.Reader.TestHelpers.present_payment_method(reader.id)
    assert reader.action.failure_code == "card_declined"
    assert stripe.PaymentIntent.retrieve(by_amount.id).last_payment_error.decline_code == "generic_decline"
    step("decline by test amount (…05)")

    first = stripe.PaymentIntent.create(amount=500, currency="usd", payment_method_types=["card_present"])
    second = stripe.PaymentIntent.create(amount=600, currency="usd", payment_method_types=["card_present"])
    stripe.terminal.Reader.process_payment_intent(reader.id, payment_intent=first.id)
    reader = stripe.terminal.Reader.process_payment_intent(reader.id, payment_intent=second.id)
    assert reader.action.process_payment_intent.payment_intent == second.id
    reader = stripe.terminal.Reader.cancel_action(reader.id)
    assert reader.action is None
    step("a waiting payment is replaced; cancel_action resets the reader")

    control(f"/readers/{reader.id}/offline")
    expect_error(stripe.InvalidRequestError,
                 lambda: stripe.terminal.Reader.process_payment_intent(reader.id, payment_intent=first.id),
                 "terminal_reader_offline")
    assert stripe.terminal.Reader.retrieve(reader.id).status == "offline"
    control(f"/readers/{reader.id}/online")
    step("offline reader refused with terminal_reader_offline")

    control(f"/readers/{reader.id}/busy")
    busy = stripe.PaymentIntent.create(amount=1000, currency="usd",
                                       payment_method_types=["card_present"])
    expect_error(stripe.InvalidRequestError,
                 lambda: stripe.terminal.Reader.process_payment_intent(reader.id, payment_intent=busy.id),
                 "terminal_reader_busy")
    control(f"/readers/{reader.id}/idle")
    step("busy reader refused with terminal_reader_busy")

    e = expect_error(stripe.InvalidRequestError,
                     lambda: stripe.terminal.Location.create(display_name="No address"),
                     "parameter_missing")
    assert e.param == "address", e.param
    step("missing parameter")

    e = expect_error(stripe.InvalidRequestError,
                     lambda: stripe.terminal.Reader.retrieve("tmr_doesnotexist"),
                     "resource_missing")
    assert e.http_status == 404
    step("404 resource_missing")

    key = "sdk-" + secrets.token_hex(6)
    a = stripe.PaymentIntent.create(amount=1234, currency="usd",
                                    payment_method_types=["card_present"], idempotency_key=key)
    b = stripe.PaymentIntent.create(amount=1234, currency="usd",
                                    payment_method_types=["card_present"], idempotency_key=key)
    assert a.id == b.id
    assert b.last_response.headers.get("Idempotent-Replayed") == "true"
    assert a.last_response.request_id.startswith("req_")
    expect_error(stripe.IdempotencyError,
                 lambda: stripe.PaymentIntent.create(amount=999, currency="usd",
                                                     payment_method_types=["card_present"],
                                                     idempotency_key=key))
    step("idempotent replay and mismatch")

    expect_error(stripe.AuthenticationError,
                 lambda: stripe.terminal.Reader.list(api_key="sk_test_x"))
    step("authentication error")

    account = stripe.Account.create(type="standard", country="US")
    connected_location = stripe.terminal.Location.create(display_name="Franchise",
                                                         address=ADDRESS,
                                                         stripe_account=account.id)
    mine = [l.id for l in stripe.terminal.Location.list(limit=100).auto_paging_iter()]
    assert connected_location.id not in mine
    theirs = stripe.terminal.Location.list(stripe_account=account.id)
    assert [l.id for l in theirs.data] == [connected_location.id]
    expect_error(stripe.PermissionError,
                 lambda: stripe.terminal.Location.list(api_key="sk_test_other" + secrets.token_hex(6),
                                                       stripe_account=account.id))
    connect_endpoint = stripe.WebhookEndpoint.create(url=hook_url + "/connect", enabled_events=["payment_intent.created"],
                                                     connect=True)
    connected_pi = stripe.PaymentIntent.create(amount=700, currency="cad", payment_method_types=["card_present"],
                                               stripe_account=account.id)
    step("Connect: objects stay on their account")

    for i in range(5):
        stripe.terminal.Location.create(display_name=f"Page {i}", address=ADDRESS)
    names = [l.display_name for l in stripe.terminal.Location.list(limit=2).auto_paging_iter()]
    assert len(names) == 6 and names[0] == "Page 4", names
    step("auto-pagination")

    deadline = time.time() + 10
    types = set()
    while time.time() < deadline:
        for body, signature, path in list(received):
            if path.endswith("/connect"):
                continue
            event = stripe.Webhook.construct_event(body, signature, endpoint.secret)
            types.add(event.type)
        if {"payment_intent.succeeded", "charge.refunded", "terminal.reader.action_succeeded",
                "terminal.reader.action_failed"} <= types:
            break
        time.sleep(0.2)
    for wanted in ["payment_intent.created", "payment_intent.amount_capturable_updated",
                   "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
                   "refund.created", "terminal.reader.action_succeeded",
                   "terminal.reader.action_failed"]:
        assert wanted in types, f"{wanted} not delivered: {sorted(types)}"
    deadline = time.time() + 10
    connected_events = []
    while time.time() < deadline and not connected_events:
        connected_events = [stripe.Webhook.construct_event(b, sig, connect_endpoint.secret)
                            for b, sig, path in list(received) if path.endswith("/connect")]
        time.sleep(0.1)
    assert connected_events and connected_events[0].account == account.id
    assert connected_events[0].data.object.id == connected_pi.id
    step("Connect endpoint receives the connected account's events, with `account`")
    try:
        stripe.Webhook.construct_event(received[0][0] + b" ", received[0][1], endpoint.secret)
        raise AssertionError("a tampered payload verified")
    except stripe.SignatureVerificationError:
        pass
    step(f"webhooks verified with construct_event ({len(received)} deliveries)")

    client = stripe.StripeClient(stripe.api_key, base_addresses={"api": BASE})
    service = client.v1 if hasattr(client, "v1") else client
    listed = service.terminal.readers.list(params={"location": location.id})
    assert [r.id for r in listed.data] == [reader.id]
    step("StripeClient with base_addresses reaches the same account")

    reader_configurations_and_the_tills_screen(reader, location)

    stripe.terminal.Reader.delete(reader.id)
    stripe.terminal.Location.delete(location.id)
    step("delete reader and location")
    print(f"stripe-python {stripe.VERSION}: every step passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report the failing step plainly, then fail the run
        print(f"SDK check failed: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
