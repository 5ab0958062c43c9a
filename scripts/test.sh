#!/usr/bin/env bash
# Command 2: create/reuse .venv, install captioner with the test, diffusion, ray, moviepy, service and espeak extras (espeak: the GPL G2P option, exercised by the tests; never in the default install), run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,diffusion,ray,moviepy,service,espeak]'
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
