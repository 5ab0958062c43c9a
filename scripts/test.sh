#!/usr/bin/env bash
# Command 2: create/reuse .venv, install captioner with the test, diffusion, ray, moviepy and service extras, run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,diffusion,ray,moviepy,service]'
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
