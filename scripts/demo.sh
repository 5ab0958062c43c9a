#!/usr/bin/env bash
# Command 1: create .venv, install captioner, caption the shipped example ad and say where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
mkdir -p out
.venv/bin/captioner caption examples/ad-en-01/video.mp4 --script examples/ad-en-01/script.txt \
  --language en --out out/ad-en-01.captioned.mp4
echo "Outputs are in $(pwd)/out/ (open ad-en-01.captioned.mp4; the .json has the findings and the receipt)"
