#!/usr/bin/env bash
# make-expected.sh [--write]: recompute the expected TPC-H Q3 and Q10 outputs of the tiny test
# dataset engine/tests/data/tpch-tiny two independent ways and diff them:
#
#   1. DuckDB running the specification's SQL (scripts/lib/duckdb_run.py tpch-expected), in the
#      venv of scripts/lib/duckdb-env.sh;
#   2. the plain-Python oracle scripts/tpch/oracle.py (which also fails when the ORDER BY would
#      not make the rows' order unique).
#
# Both must agree with each other and with the committed q3.expected / q10.expected. With
# --write, the first run (or a deliberate change of the data, after
# `python3 scripts/tpch/make_tiny_dataset.py`) writes the .expected files once both agree.
set -euo pipefail

write=0
if [[ "${1:-}" == "--write" ]]; then
    write=1
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="$root/engine/tests/data/tpch-tiny"
py="$("$root/scripts/lib/duckdb-env.sh")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

status=0
for q in 3 10; do
    "$py" "$root/scripts/lib/duckdb_run.py" tpch-expected --query "$q" --input "$data" >"$tmp/q$q.duckdb"
    python3 "$root/scripts/tpch/oracle.py" "$q" "$data" >"$tmp/q$q.oracle"
    if ! diff -u "$tmp/q$q.duckdb" "$tmp/q$q.oracle" >"$tmp/q$q.diff"; then
        echo "make-expected: Q$q: DuckDB and the oracle disagree:" >&2
        cat "$tmp/q$q.diff" >&2
        status=1
        continue
    fi
    expected="$data/q$q.expected"
    if ((write)); then
        cp "$tmp/q$q.oracle" "$expected"
        echo "make-expected: Q$q: $(wc -l <"$expected") rows written to $expected"
    elif ! diff -u "$expected" "$tmp/q$q.oracle"; then
        echo "make-expected: Q$q: $expected differs from the recomputed result" >&2
        status=1
    else
        echo "make-expected: Q$q: DuckDB, the oracle and $(basename "$expected") agree ($(wc -l <"$expected") rows)"
    fi
done
exit "$status"
