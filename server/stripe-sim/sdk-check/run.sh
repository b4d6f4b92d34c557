#!/usr/bin/env bash
# Runs flow.py with Stripe's official Python SDK against $STRIPE_SIM_URL, creating the venv
# (target/sdk-venv) and installing the pinned `stripe` package when missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SDK_VENV:-$here/../../../target/sdk-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import stripe" 2>/dev/null; then
  "$venv/bin/pip" install --quiet "stripe==16.1.0"
fi
exec "$venv/bin/python" "$here/flow.py"
