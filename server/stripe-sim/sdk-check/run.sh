#!/usr/bin/env bash
# Runs flow.py with Stripe's official Python SDK, unmodified, against $STRIPE_SIM_URL
# (default http://127.0.0.1:12111), creating the venv ($SDK_VENV, default target/sdk-venv)
# and installing the pinned `stripe` package when missing. Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SDK_VENV:-$here/../../../target/sdk-venv}"
version="16.1.0"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "$("$venv/bin/python" -c 'import stripe; print(stripe.VERSION)' 2>/dev/null || true)" != "$version" ]; then
  "$venv/bin/pip" install --quiet "stripe==$version"
fi
export STRIPE_SIM_URL="${STRIPE_SIM_URL:-http://127.0.0.1:12111}"
exec "$venv/bin/python" "$here/flow.py"
