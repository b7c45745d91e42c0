#!/usr/bin/env bash
# stream-benchmarks.sh [--quick] [--events N] [WORKDIR]
#
# The streaming WindowAggregate job end to end beside DuckDB computing the same windows as a
# batch query on the same file, with the outputs checked against each other:
#
#   data     benches gen_window_events: `key,event_time_ms,value` lines, 10,000 keys, 100,000
#            events per second of event time, out of order by up to 2,000 ms, 50M events
#            (--quick: 2M; --events N to choose)
#   Weir     weir run -p 2 -c WindowAggregate --window 10s --out-of-orderness 2s
#            --checkpoint-interval 10s --output DIR, with taskmanager.memory.process.size=1g and
#            state.checkpoints.dir in WORKDIR; wall time and peak RSS from scripts/lib/measure.py,
#            checkpoint figures from --metrics-json
#   DuckDB   scripts/lib/duckdb_run.py windows (threads=2, memory_limit 1GiB)
#
# Printed: events/s of each, ratio = Weir events/s / DuckDB events/s, checkpoints completed and
# their longest duration, peak RSS against the 1 GiB process size, and whether the outputs are
# equal (sorted). Goals (issue 7): >= 3M events/s, RSS within 1 GiB, checkpoints under 1 s.
# The input is kept in WORKDIR (default target/stream-bench) for the next run.
set -euo pipefail

usage() {
    sed -n '2p' "$0" | sed 's/^# /usage: /' >&2
    exit 2
}

events=50000000
while [[ $# -gt 0 ]]; do
    case "$1" in
    --quick) events=2000000 ;;
    --events)
        [[ $# -ge 2 ]] || usage
        events="$2"
        shift
        ;;
    -h | --help) usage ;;
    -*)
        echo "stream-benchmarks: unknown option $1" >&2
        usage
        ;;
    *) break ;;
    esac
    shift
done
[[ $# -le 1 ]] || usage

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/target/stream-bench}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
lib="$root/scripts/lib"
say() { echo "stream-benchmarks: $*" >&2; }
die() {
    say "$*"
    exit 1
}

run_dir="$(mktemp -d "$work/run.XXXXXX")"
cleanup() { rm -rf "$run_dir"; }
trap cleanup EXIT

say "building weir and the data generator (release)"
(cd "$root" && cargo build --release --quiet -p weir -p weir-benches --bin weir --bin gen_window_events)
weir="${WEIR_BIN:-$root/target/release/weir}"
generator="$root/target/release/gen_window_events"

input="$work/events-$events.csv"
if [[ ! -f "$input" ]]; then
    say "writing $events events to $input"
    "$generator" --output "$input" --events "$events"
fi
input_bytes="$(stat -c %s "$input")"

py="$("$lib/duckdb-env.sh")"

# ---- Weir ----
weir_out="$run_dir/weir-out"
metrics="$run_dir/metrics.json"
weir_log="$run_dir/weir.log"
say "WindowAggregate on $((input_bytes >> 20)) MiB ($events events)"
if ! "$lib/measure.py" "$weir" run -p 2 \
    -D taskmanager.memory.process.size=1g \
    -D "state.checkpoints.dir=$run_dir/checkpoints" \
    -D "io.tmp.dirs=$run_dir" \
    --metrics-json "$metrics" \
    -c WindowAggregate --input "$input" --window 10s --out-of-orderness 2s \
    --checkpoint-interval 10s --output "$weir_out" >"$weir_log" 2>&1; then
    cat "$weir_log" >&2
    die "weir failed"
fi
weir_line="$(tail -n 1 "$weir_log")"
weir_seconds="$(grep -oP 'seconds=\K[0-9.]+' <<<"$weir_line")"
weir_rss="$(grep -oP 'peak_rss_mib=\K[0-9]+' <<<"$weir_line")"
read -r completed max_ms last_bytes < <("$py" - "$metrics" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["streaming"]
print(m["checkpoints_completed"], m["max_checkpoint_ms"], m["last_checkpoint_bytes"])
PY
)

# ---- DuckDB ----
duck_out="$run_dir/duck.csv"
duck_line="$("$py" "$lib/duckdb_run.py" --threads 2 --memory-limit 1GiB --temp-dir "$run_dir" \
    windows --input "$input" --output "$duck_out" --window-ms 10000)" || die "duckdb failed: $duck_line"
duck_seconds="$(grep -oP 'seconds=\K[0-9.]+' <<<"$duck_line")"
duck_rss="$(grep -oP 'peak_rss_mib=\K[0-9]+' <<<"$duck_line")"

# ---- check ----
if cmp -s <(cat "$weir_out"/part-* | sort) <(sort "$duck_out"); then
    check=equal
else
    check=DIFFERENT
fi

awk -v e="$events" -v ws="$weir_seconds" -v ds="$duck_seconds" -v wr="$weir_rss" -v dr="$duck_rss" \
    -v c="$completed" -v mx="$max_ms" -v lb="$last_bytes" -v check="$check" 'BEGIN {
    printf "%-16s %12s %14s %10s\n", "system", "seconds", "events/s", "peak RSS"
    printf "%-16s %12.2f %14.0f %7d MiB\n", "Weir (p=2, 1g)", ws, e / ws, wr
    printf "%-16s %12.2f %14.0f %7d MiB\n", "DuckDB (2 thr)", ds, e / ds, dr
    printf "ratio Weir/DuckDB events/s: %.2f; goal 3M events/s: %s\n", ds / ws, (e / ws >= 3000000 ? "met" : "missed")
    printf "checkpoints: %d completed, longest %d ms, last %d bytes; goal < 1 s: %s\n", c, mx, lb, (mx < 1000 ? "met" : "missed")
    printf "peak RSS within 1 GiB: %s; outputs %s\n", (wr <= 1024 ? "yes" : "NO"), check
}'
[[ "$check" == equal ]] || exit 1
