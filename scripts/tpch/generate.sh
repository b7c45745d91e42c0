#!/usr/bin/env bash
# generate.sh SCALE_FACTOR DIR: TPC-H .tbl files (dbgen's format: `|`-delimited, a trailing `|`
# on every line) for the given scale factor, written into DIR, with tpchgen-cli (a Rust port of
# dbgen whose output matches dbgen's byte for byte).
#
#   scripts/tpch/generate.sh 1 target/bench-data/tpch-sf1
#
# tpchgen-cli (tpchgen-cli --help; here `tpchgen-cli tbl -s SF -o DIR`) is installed with
# `cargo install --locked` into target/tools the first time (only if absent; set TPCHGEN_CLI to
# use another binary). All eight tables are written; the files are
# left as they are if DIR already holds a complete set for this scale factor (a marker file
# records the scale factor).
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 SCALE_FACTOR DIR" >&2
    exit 2
fi
sf="$1"
dir="$2"
if ! [[ "$sf" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    echo "generate.sh: scale factor must be a positive number, got '$sf'" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tool="${TPCHGEN_CLI:-$root/target/tools/bin/tpchgen-cli}"
if [[ ! -x "$tool" ]]; then
    echo "generate.sh: installing tpchgen-cli into $root/target/tools (one time, a few minutes)" >&2
    cargo install --quiet --locked --root "$root/target/tools" tpchgen-cli >&2
fi

tables=(customer lineitem nation orders part partsupp region supplier)
marker="$dir/.tpch-sf"
if [[ -f "$marker" && "$(cat "$marker")" == "$sf" ]]; then
    complete=1
    for t in "${tables[@]}"; do
        [[ -s "$dir/$t.tbl" ]] || complete=0
    done
    if ((complete)); then
        echo "generate.sh: $dir already holds TPC-H SF $sf" >&2
        exit 0
    fi
fi

mkdir -p "$dir"
rm -f "$marker"
# The `tbl` subcommand: dbgen's `|`-terminated text (the tool's default format, but named so a
# changed default cannot silently switch to CSV or Parquet); one file per table, DIR/<table>.tbl.
"$tool" tbl --scale-factor "$sf" --output-dir "$dir" --overwrite --quiet >&2

for t in "${tables[@]}"; do
    f="$dir/$t.tbl"
    if [[ ! -s "$f" ]]; then
        echo "generate.sh: $f missing or empty after generation" >&2
        exit 1
    fi
    line="$(head -n 1 "$f")"
    if [[ "$line" != *"|" ]]; then
        echo "generate.sh: $f is not in .tbl format (first line lacks the trailing '|'): $line" >&2
        exit 1
    fi
done
echo "$sf" >"$marker"
echo "generate.sh: TPC-H SF $sf in $dir" >&2
