#!/usr/bin/env bash
# duckdb-env.sh: make sure a Python virtual environment with the `duckdb` package exists under
# target/bench-venv, and print the path of its python interpreter on stdout.
#
#   py="$(scripts/lib/duckdb-env.sh)"   # creates/installs only when missing
#   "$py" scripts/lib/duckdb_run.py ...
#
# The package is installed by name with pip from the configured index; nothing else is fetched.
# Set WEIR_BENCH_VENV to use another directory. Progress messages go to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${WEIR_BENCH_VENV:-$root/target/bench-venv}"
py="$venv/bin/python"

if [[ ! -x "$py" ]]; then
    echo "duckdb-env: creating virtual environment $venv" >&2
    python3 -m venv "$venv" >&2 || {
        echo "duckdb-env: 'python3 -m venv' failed (on Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi
if ! "$py" -c 'import duckdb' 2>/dev/null; then
    echo "duckdb-env: installing the duckdb package into $venv" >&2
    "$py" -m pip install --quiet --disable-pip-version-check duckdb >&2 || {
        echo "duckdb-env: pip install duckdb failed" >&2
        exit 1
    }
fi
echo "$py"
