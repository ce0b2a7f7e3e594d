#!/usr/bin/env bash
# Every benchmark in one table (see bench/__main__.py).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m bench "$@"
