#!/usr/bin/env bash
# operator-benchmarks.sh [--quick] [DIR]
#
# The end-to-end operator benchmarks of issue 4, each beside its baseline measured in the same
# run, printed as one table. Every runner generates its own data (deterministic seeds) in DIR
# (default target/bench-data; the sort input is kept there for the next run) and prints one
# `key=value` line per configuration; this script only runs them and tabulates the lines.
#
#   bench                runner (benches/src/bin/)     baseline
#   in_memory_sort       in_memory_sort_bench.rs       slice::sort_unstable_by on a Vec
#   external_sort        external_sort_bench.rs        GNU sort -S <memory> (and 2x dd for raw I/O)
#   hash_join            hash_join_bench.rs            std HashMap join over Vecs
#   hash_aggregation     hash_aggregation_bench.rs     std HashMap aggregate over a Vec
#
# Default sizes are the issue's: in-memory sort of 10M (8-byte key, 8-byte value) pairs and of
# 100-byte records with 10-byte keys (1M of them, 100 MB); external sort of 1 GiB of 100-byte records in 256 MiB; join 10M probe x
# 1M build rows (8-byte keys, 32-byte payloads) with memory for half the build side and with
# ample memory; aggregation of 10M distinct keys in 64 MiB. --quick runs a tenth of each (well
# under a minute) to check the runners.
#
# ratio: baseline time / Weir time (above 1: Weir is faster). The raw figures follow the table.
set -euo pipefail

quick=0
if [[ "${1:-}" == "--quick" ]]; then
    quick=1
    shift
fi
dir="${1:-target/bench-data}"
cd "$(dirname "$0")/.."
mkdir -p "$dir"
cargo build --release --quiet -p weir-benches --bins
bin=target/release
for runner in in_memory_sort_bench external_sort_bench hash_join_bench hash_aggregation_bench; do
    if [[ ! -x "$bin/$runner" ]]; then
        echo "operator-benchmarks: $bin/$runner missing" >&2
        exit 1
    fi
done

lines=()
run() {
    local output
    output="$("$@" | grep '^bench=')" || {
        echo "operator-benchmarks: $* failed" >&2
        exit 1
    }
    mapfile -t -O "${#lines[@]}" lines <<<"$output"
}

if ((quick)); then
    run "$bin/in_memory_sort_bench" --rows 1000000 --shapes pairs,records100 --runs 1
    run "$bin/external_sort_bench" --dir "$dir" --size-mib 100 --memory-mib 26
else
    run "$bin/in_memory_sort_bench" --rows 10000000 --shapes pairs --runs 3
    run "$bin/in_memory_sort_bench" --rows 1000000 --shapes records100 --runs 3
    run "$bin/external_sort_bench" --dir "$dir" --size-mib 1024 --memory-mib 256
fi
if ((quick)); then
    run "$bin/hash_join_bench" --dir "$dir" --probe-rows 1000000 --build-rows 100000
    run "$bin/hash_aggregation_bench" --dir "$dir" --rows 1000000 --distinct-keys 1000000 --memory-mib 8
else
    # Two budgets by default: half the build side's serialized bytes (1M x 40 bytes: 19 MiB)
    # and ample memory.
    run "$bin/hash_join_bench" --dir "$dir" --probe-rows 10000000 --build-rows 1000000
    run "$bin/hash_aggregation_bench" --dir "$dir" --rows 10000000 --distinct-keys 10000000 --memory-mib 64
fi

field() { # field NAME LINE
    local pair
    for pair in $2; do
        if [[ "$pair" == "$1="* ]]; then
            echo "${pair#*=}"
            return
        fi
    done
    echo "-"
}

printf '%-18s %-44s %12s %9s %12s %7s %-12s %9s %7s %9s\n' \
    bench config rows seconds rows/s MB/s baseline base_s ratio rss_MiB
for line in "${lines[@]}"; do
    seconds="$(field seconds "$line")"
    base_seconds="$(field baseline_seconds "$line")"
    if [[ "$base_seconds" == "-" ]]; then
        base_rate="$(field baseline_rows_per_s "$line")"
        rows="$(field rows "$line")"
        if [[ "$base_rate" != "-" && "$rows" != "-" ]]; then
            base_seconds="$(awk -v r="$rows" -v b="$base_rate" 'BEGIN { printf "%.2f", r / b }')"
        fi
    fi
    baseline="$(field baseline "$line")"
    if [[ "$baseline" == "-" ]]; then
        case "$(field bench "$line")" in
            in_memory_sort) baseline=vec_sort ;;
            hash_*) baseline=std_hashmap ;;
        esac
    fi
    printf '%-18s %-44s %12s %9s %12s %7s %-12s %9s %7s %9s\n' \
        "$(field bench "$line")" "$(field config "$line")" "$(field rows "$line")" \
        "$seconds" "$(field rows_per_s "$line")" "$(field mb_per_s "$line")" "$baseline" \
        "$base_seconds" "$(field ratio "$line")" "$(field peak_rss_mib "$line")"
done
echo
printf '%s\n' "${lines[@]}"
