#!/usr/bin/env bash
# Quick start, part one: ship a closure to a second process of the same binary and call it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift run -c release heappack-demo
