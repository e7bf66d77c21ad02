#!/usr/bin/env bash
# Benchmark FumbleBot's dice engine against avrae's d20, in a venv of its own.
# Usage: bash bench/dice/run.sh [extra args for bench_dice.py]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/bench/.venv"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# The engine is pure stdlib, but importing `core_client.dice` runs `core_client/__init__`,
# which loads the SDK's HTTP client: so the project comes with its runtime deps.
"$venv/bin/pip" install --quiet --disable-pip-version-check -e "$root"
"$venv/bin/pip" install --quiet --disable-pip-version-check "d20==1.1.2"
cd "$root"
exec "$venv/bin/python" -m bench.dice.bench_dice "$@"
