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
# The engine is pure stdlib, so the project is installed without its runtime deps.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e "$root"
"$venv/bin/pip" install --quiet --disable-pip-version-check "d20==1.1.2"
cd "$root"
exec "$venv/bin/python" -m bench.dice.bench_dice "$@"
