#!/usr/bin/env bash
# batch-benchmarks.sh [--quick] [--duckdb-only] [--duckdb-memory managed|process|SIZE] [WORKDIR]
#
# Weir's built-in batch jobs end to end (`weir run -p 2 -c JOB`) beside DuckDB on the same files,
# with the outputs checked against each other, printed as ONE table:
#
#   job          Weir                                     DuckDB (scripts/lib/duckdb_run.py)
#   TeraSort     TeraGen 1 GiB and 4 GiB (10,737,418 /    COPY (SELECT key, payload ... ORDER BY
#                42,949,672 records), TeraSort,           key) TO Parquet, over the same records
#                TeraValidate                             as uncompressed Parquet (BLOB key, BLOB
#                                                         payload; converted untimed)
#   WordCount    1 GiB of Zipf-like text                  regexp_split_to_array + GROUP BY, COPY
#                (scripts/lib/gen_text.py)                to CSV
#   TPCHQuery3   TPC-H SF1 .tbl (scripts/tpch/            the specification's Q3 SQL over
#                generate.sh, tpchgen-cli)                read_csv of the same .tbl files
#
# Weir runs with -D taskmanager.memory.process.size=512m (smaller than each input), its wall time
# and peak RSS measured by scripts/lib/measure.py (the child's ru_maxrss). DuckDB runs with
# threads=2, temp_directory in WORKDIR and memory_limit = Weir's managed memory for that process
# size (parsed from `weir memory-plan`; --duckdb-memory process gives it the whole process size,
# or name a size such as 1GiB). Its peak RSS is its own process's ru_maxrss.
#
# Checks: TeraValidate on Weir's output, plus record count, CRC-32 sum and key order of Weir's
# output against its input (duckdb_run.py raw-checksum); DuckDB's sorted Parquet against the
# same records (count, checksum, order); WordCount outputs equal after sorting; Q3 outputs equal.
# A failed check marks the row "WRONG" and the script exits non-zero at the end.
#
# ratio = DuckDB seconds / Weir seconds (above 1: Weir is faster). Goals: TeraSort and WordCount
# ratio > 1.0, TPCHQuery3 ratio >= 0.67; "RSS ok" says whether Weir's peak RSS stayed within the
# process size.
#
# --quick: 64 MiB TeraSort and WordCount, TPC-H SF 0.1, process size 320m (a smoke run).
# --duckdb-only: no `weir run` (before the batch runtime lands): TeraGen-shaped input is written
# by scripts/lib/gen_tera_records.py instead, and only the DuckDB half runs.
#
# WEIR_BIN=PATH runs another weir binary than target/release/weir (built all the same).
# Inputs are kept in WORKDIR (default target/batch-bench) for the next run; outputs and temp
# files are deleted after each job. Each size is skipped, with a message, when WORKDIR's file
# system has too little free space for it (about 6x the input for TeraSort).
set -euo pipefail

usage() {
    sed -n '2p' "$0" | sed 's/^# /usage: /' >&2
    exit 2
}

quick=0
duckdb_only=0
duckdb_memory=managed
while [[ $# -gt 0 ]]; do
    case "$1" in
    --quick) quick=1 ;;
    --duckdb-only) duckdb_only=1 ;;
    --duckdb-memory)
        [[ $# -ge 2 ]] || usage
        duckdb_memory="$2"
        shift
        ;;
    -h | --help) usage ;;
    -*)
        echo "batch-benchmarks: unknown option $1" >&2
        usage
        ;;
    *) break ;;
    esac
    shift
done
[[ $# -le 1 ]] || usage

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/target/batch-bench}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
lib="$root/scripts/lib"

if ((quick)); then
    tera_mib=(64)
    text_mib=64
    tpch_sf=0.1
    process_size=320m
else
    tera_mib=(1024 4096)
    text_mib=1024
    tpch_sf=1
    process_size=512m
fi
parallelism=2

say() { echo "batch-benchmarks: $*" >&2; }
die() {
    say "$*"
    exit 1
}

run_dir="$(mktemp -d "$work/run.XXXXXX")"
cleanup() { rm -rf "$run_dir"; }
trap cleanup EXIT
logs="$work/logs"
mkdir -p "$logs"

# ---- Weir build, memory plan --------------------------------------------------------------
say "building weir (cargo build --release -p weir)"
(cd "$root" && cargo build --release --quiet -p weir)
weir="${WEIR_BIN:-$root/target/release/weir}"
[[ -x "$weir" ]] || die "$weir missing after the build"

weir_conf=(-D "taskmanager.memory.process.size=$process_size" -D "io.tmp.dirs=$run_dir")
plan="$("$weir" memory-plan "${weir_conf[@]}")" || die "weir memory-plan failed"
# The row "managed memory   128 MiB   134217728   4096 pages ...": the first long number is bytes.
managed_bytes="$(grep -m1 'managed memory' <<<"$plan" | grep -oE '\b[0-9]{6,}\b' | head -n1)" ||
    die "no managed memory bytes in the output of weir memory-plan:"$'\n'"$plan"
process_bytes="$(grep -m1 'process size' <<<"$plan" | grep -oE '\b[0-9]{6,}\b' | head -n1)" ||
    die "no process size bytes in the output of weir memory-plan"
case "$duckdb_memory" in
managed) duckdb_limit="$((managed_bytes / 1024))KiB" ;;
process) duckdb_limit="$((process_bytes / 1024))KiB" ;;
*) duckdb_limit="$duckdb_memory" ;;
esac
say "process size $process_size: managed memory $((managed_bytes / 1048576)) MiB; DuckDB memory_limit $duckdb_limit"

if ((!duckdb_only)); then
    if ! "$weir" run --help >/dev/null 2>&1; then
        die "this weir has no 'run' command yet; use --duckdb-only for the DuckDB half"
    fi
fi

py="$("$lib/duckdb-env.sh")"
duckdb_run=("$py" "$lib/duckdb_run.py")

# ---- helpers -------------------------------------------------------------------------------
free_bytes() { df -B1 --output=avail "$work" | tail -n 1 | tr -d ' '; }

# enough_space BYTES WHAT: false (with a message) when the file system lacks BYTES.
enough_space() {
    local free
    free="$(free_bytes)"
    if ((free < $1)); then
        say "skipping $2: needs about $(($1 >> 20)) MiB free in $work, $((free >> 20)) MiB available"
        return 1
    fi
}

# field NAME LINE: the value of NAME=value in LINE, or "-".
field() {
    local pair
    for pair in $2; do
        if [[ "$pair" == "$1="* ]]; then
            echo "${pair#*=}"
            return
        fi
    done
    echo "-"
}

# weir_job LOG ARGS...: `weir run -p 2 -D ... ARGS` under measure.py; sets weir_seconds and
# weir_rss (or "failed"); returns the job's status.
weir_job() {
    local log="$logs/$1" last
    shift
    weir_seconds=failed
    weir_rss=-
    if ! "$lib/measure.py" "$weir" run -p "$parallelism" "${weir_conf[@]}" "$@" >"$log" 2>&1; then
        say "weir $* failed; see $log:"
        tail -n 5 "$log" >&2
        return 1
    fi
    last="$(tail -n 1 "$log")"
    weir_seconds="$(field seconds "$last")"
    weir_rss="$(field peak_rss_mib "$last")"
}

# duck_job LOG ARGS...: one timed duckdb_run.py job at memory_limit $duckdb_limit; when DuckDB
# gives up there (out of memory) and the limit was Weir's managed memory, once more at the whole
# process size, and then at 4x the process size, so the table still has a time and a checked
# output (its "duckdb limit" column says which limit DuckDB needed). Sets
# duck_seconds ("failed" if every try failed), duck_rss and duck_limit; returns non-zero only on
# errors of the runner itself.
duck_job() {
    local log="$logs/$1" line status limit tried=""
    shift
    local limits=("$duckdb_limit")
    if [[ "$duckdb_memory" == managed ]]; then
        limits+=("$((process_bytes / 1024))KiB" "$((4 * process_bytes / 1024))KiB")
    fi
    duck_seconds=failed
    duck_rss=-
    duck_limit=-
    : >"$log"
    for limit in "${limits[@]}"; do
        status=0
        "${duckdb_run[@]}" --memory-limit "$limit" --threads 2 --temp-dir "$run_dir/duckdb-tmp" \
            "$@" >>"$log" 2>&1 || status=$?
        rm -rf "$run_dir/duckdb-tmp"
        line="$(grep '^bench=' "$log" | tail -n 1)" || true
        if [[ -z "$line" || ($status -ne 0 && $status -ne 3) ]]; then
            say "duckdb_run.py $* failed (exit $status); see $log:"
            tail -n 5 "$log" >&2
            return 1
        fi
        duck_rss="$(field peak_rss_mib "$line")"
        duck_limit="$tried$(mib_of "${limit%KiB}")"
        if [[ "$(field status "$line")" == ok ]]; then
            duck_seconds="$(field seconds "$line")"
            return 0
        fi
        say "DuckDB gave up at memory_limit $(mib_of "${limit%KiB}") MiB: $(field error "$line" | cut -c1-120)"
        tried="${tried}failed@$(mib_of "${limit%KiB}"),"
        duck_limit="${tried%,}"
    done
}

# mib_of KIB: KiB as MiB with at most one decimal.
mib_of() { awk -v k="$1" 'BEGIN { printf "%g", int(k / 1024 * 10) / 10 }'; }

# cat_output PATH: a job's output, a file or a directory of part files in name order.
cat_output() {
    if [[ -d "$1" ]]; then
        find "$1" -maxdepth 1 -type f ! -name '.*' ! -name '_*' -print0 | sort -z |
            xargs -0 -r cat
    else
        cat "$1"
    fi
}

failures=0
table=()
row_format='%-11s %-8s %8s %6s %8s %6s %8s %8s %-12s %6s %6s %-8s %-7s %s\n'

# add_row JOB SIZE INPUT_BYTES GOAL_OP GOAL CHECK: one table row from weir_* and duck_*.
add_row() {
    local job="$1" size="$2" bytes="$3" op="$4" goal="$5" check="$6"
    local mbps=- ratio=- met=- rss_ok=-
    if [[ "$weir_seconds" =~ ^[0-9.]+$ ]]; then
        mbps="$(awk -v b="$bytes" -v s="$weir_seconds" 'BEGIN { printf "%.0f", b / 1e6 / s }')"
        rss_ok="$(awk -v r="$weir_rss" -v l="$process_bytes" 'BEGIN { print (r * 1048576 <= l) ? "yes" : "NO" }')"
        if [[ "$duck_seconds" =~ ^[0-9.]+$ ]]; then
            ratio="$(awk -v d="$duck_seconds" -v w="$weir_seconds" 'BEGIN { printf "%.2f", d / w }')"
            met="$(awk -v r="$ratio" -v g="$goal" -v op="$op" \
                'BEGIN { ok = (op == ">") ? (r > g) : (r >= g); print ok ? "yes" : "no" }')"
        elif [[ "$duck_seconds" == failed ]]; then
            met="yes (DuckDB failed)"
        fi
    fi
    if [[ "$check" != ok && "$check" != - ]]; then
        failures=$((failures + 1))
    fi
    # shellcheck disable=SC2059 # one format for the header and the rows
    table+=("$(printf "$row_format" "$job" "$size" "$weir_seconds" "$mbps" "$weir_rss" \
        "$process_size" "$duck_seconds" "$duck_rss" "$duck_limit" "$ratio" "$op$goal" "$met" \
        "$rss_ok" "$check")")
}

# ---- TeraSort ------------------------------------------------------------------------------
terasort() {
    local mib="$1" records input generator parquet check=ok
    records=$((mib * 1048576 / 100))
    input="$work/teragen-${mib}m"
    parquet="$input.parquet"
    generator=$([[ $duckdb_only == 1 ]] && echo python || echo weir)
    local bytes=$((records * 100))
    local need=$((6 * bytes))
    [[ -f "$input.complete" ]] || need=$((need + bytes))
    enough_space "$need" "TeraSort ${mib} MiB" || return 0

    if [[ "$(cat "$input.complete" 2>/dev/null)" != "$generator $records" ]]; then
        say "generating $records TeraGen records in $input ($generator)"
        rm -rf "$input" "$parquet" "$input.complete" "$input.checksum"
        if ((duckdb_only)); then
            python3 "$lib/gen_tera_records.py" --records "$records" --parts "$parallelism" \
                --output "$input" >/dev/null
        else
            weir_job "teragen-${mib}m.log" -c TeraGen --records "$records" --output "$input" ||
                die "TeraGen failed"
        fi
        echo "$generator $records" >"$input.complete"
    fi
    if [[ ! -f "$input.checksum" ]]; then
        "${duckdb_run[@]}" raw-checksum "$input" >"$input.checksum"
    fi
    local in_rows in_crc
    in_rows="$(field rows "$(cat "$input.checksum")")"
    in_crc="$(field crc_sum "$(cat "$input.checksum")")"
    [[ "$in_rows" == "$records" ]] || die "$input holds $in_rows records, expected $records"

    weir_seconds=- weir_rss=-
    if ((!duckdb_only)); then
        say "TeraSort ${mib} MiB: weir"
        local out="$run_dir/terasort-weir"
        if weir_job "terasort-${mib}m.weir.log" -c TeraSort --input "$input" --output "$out"; then
            local sort_seconds="$weir_seconds" sort_rss="$weir_rss" sum
            if ! weir_job "teravalidate-${mib}m.log" -c TeraValidate --input "$out"; then
                check="WRONG(TeraValidate)"
            fi
            sum="$("${duckdb_run[@]}" raw-checksum "$out")"
            if [[ "$(field rows "$sum") $(field crc_sum "$sum") $(field sorted "$sum")" != "$in_rows $in_crc yes" ]]; then
                say "Weir's TeraSort output: $sum; input: rows=$in_rows crc_sum=$in_crc"
                check="WRONG(weir output)"
            fi
            weir_seconds="$sort_seconds" weir_rss="$sort_rss"
        else
            check="weir failed"
        fi
        rm -rf "$out"
    fi

    if [[ ! -f "$parquet" ]]; then
        say "converting $input to Parquet for DuckDB (untimed)"
        "${duckdb_run[@]}" tera-to-parquet --input "$input" --output "$parquet" >/dev/null
    fi
    say "TeraSort ${mib} MiB: DuckDB"
    local duck_out="$run_dir/terasort-duckdb.parquet"
    duck_job "terasort-${mib}m.duckdb.log" terasort --input "$parquet" --output "$duck_out" ||
        check="duckdb error"
    if [[ "$duck_seconds" != failed && -f "$duck_out" ]]; then
        local result
        if ! result="$("${duckdb_run[@]}" tera-check --sorted "$duck_out" --input "$parquet")"; then
            check="WRONG(duckdb output)"
        elif [[ "$(field rows "$result")" != "$in_rows" ]]; then
            check="WRONG(duckdb rows)"
        fi
    fi
    rm -f "$duck_out"
    add_row TeraSort "${mib}MiB" "$bytes" ">" 1.0 "$check"
}

# ---- WordCount -----------------------------------------------------------------------------
wordcount() {
    local mib="$1" input="$work/text-${1}m.txt" check=ok
    local bytes=$((mib * 1048576))
    enough_space $((4 * bytes)) "WordCount ${mib} MiB" || return 0
    if [[ ! -f "$input" ]]; then
        say "generating ${mib} MiB of text in $input (a few minutes per GiB)"
        python3 "$lib/gen_text.py" --bytes "$bytes" --output "$input" >/dev/null
    fi
    bytes="$(stat -c %s "$input")"

    weir_seconds=- weir_rss=-
    local weir_out="$run_dir/wordcount-weir" duck_out="$run_dir/wordcount-duckdb.csv"
    if ((!duckdb_only)); then
        say "WordCount ${mib} MiB: weir"
        weir_job "wordcount-${mib}m.weir.log" -c WordCount --input "$input" --output "$weir_out" ||
            check="weir failed"
    fi
    say "WordCount ${mib} MiB: DuckDB"
    duck_job "wordcount-${mib}m.duckdb.log" wordcount --input "$input" --output "$duck_out" ||
        check="duckdb error"
    if [[ "$duck_seconds" != failed && -f "$duck_out" ]]; then
        local words total
        words="$(wc -l <"$duck_out")"
        total="$(awk -F, '{ s += $2 } END { print s + 0 }' "$duck_out")"
        say "DuckDB: $words distinct words, $total words"
        if [[ -e "$weir_out" && "$weir_seconds" != failed ]]; then
            if ! cmp -s <(cat_output "$weir_out" | LC_ALL=C sort) <(LC_ALL=C sort "$duck_out"); then
                check="WRONG(outputs differ)"
            fi
        fi
    elif [[ -e "$weir_out" && "$weir_seconds" != failed ]]; then
        check="unchecked"
    fi
    rm -rf "$weir_out" "$duck_out"
    add_row WordCount "${mib}MiB" "$bytes" ">" 1.0 "$check"
}

# ---- TPC-H Q3 ------------------------------------------------------------------------------
tpch_q3() {
    local sf="$1" dir="$work/tpch-sf$1" check=ok
    enough_space $((3 * 1200 * 1048576 * ${sf%.*} + 400 * 1048576)) "TPC-H SF $sf" || return 0
    "$root/scripts/tpch/generate.sh" "$sf" "$dir"
    local bytes
    bytes="$(cat "$dir/customer.tbl" "$dir/orders.tbl" "$dir/lineitem.tbl" | wc -c)"

    weir_seconds=- weir_rss=-
    local weir_out="$run_dir/q3-weir" duck_out="$run_dir/q3-duckdb.txt"
    if ((!duckdb_only)); then
        say "TPCHQuery3 SF $sf: weir"
        weir_job "q3-sf$sf.weir.log" -c TPCHQuery3 --input "$dir" --output "$weir_out" ||
            check="weir failed"
    fi
    say "TPCHQuery3 SF $sf: DuckDB"
    duck_job "q3-sf$sf.duckdb.log" tpch --query 3 --input "$dir" --output "$duck_out" ||
        check="duckdb error"
    if [[ "$duck_seconds" != failed && -f "$duck_out" ]]; then
        [[ "$(wc -l <"$duck_out")" == 10 ]] || check="WRONG(duckdb rows)"
        cp "$duck_out" "$logs/q3-sf$sf.duckdb.txt"
        if [[ -e "$weir_out" && "$weir_seconds" != failed ]]; then
            if ! diff <(cat_output "$weir_out") "$duck_out" >"$logs/q3-sf$sf.diff"; then
                check="WRONG(see logs/q3-sf$sf.diff)"
            fi
        fi
    fi
    rm -rf "$weir_out" "$duck_out"
    add_row TPCHQuery3 "SF$sf" "$bytes" ">=" 0.67 "$check"
}

for mib in "${tera_mib[@]}"; do
    terasort "$mib"
done
wordcount "$text_mib"
tpch_q3 "$tpch_sf"

# ---- the table -----------------------------------------------------------------------------
echo
# shellcheck disable=SC2059 # the format is the one variable above
printf "$row_format" job size "weir s" "MB/s" "RSS MiB" limit "duckdb s" "RSS MiB" \
    "duckdb limit" ratio goal met "RSS ok" check
printf '%s\n' "${table[@]}"
echo
echo "weir: -p $parallelism, process size $process_size (managed memory" \
    "$(mib_of $((managed_bytes / 1024))) MiB); DuckDB: threads=2, memory_limit in MiB as in" \
    "\"duckdb limit\" (failed@N: out of memory at N MiB, then retried at the process size, then 4x);" \
    "ratio = DuckDB s / Weir s; logs in $logs"
if ((failures)); then
    say "$failures check(s) failed"
    exit 1
fi
