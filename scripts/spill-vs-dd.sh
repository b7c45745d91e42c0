#!/usr/bin/env bash
# spill-vs-dd.sh [DIR] [SIZE_MIB]
#
# Spill throughput of Weir's IoManager beside dd, on the same directory, as ratios weir/dd.
# Four measurements on one file of SIZE_MIB (default 1024) in DIR (default ${TMPDIR:-/tmp}):
#
#   measurement   dd                                         weir (benches/src/bin/spill_throughput.rs)
#   write_cached  dd if=SRC of=F bs=1M count=N               write N blocks of 1 MiB, close
#   write_synced  ... conv=fdatasync                         ... then fdatasync the file
#   read_warm     dd if=F of=/dev/null bs=1M (F cached)      read every block back (file cached)
#   read_cold     same, after dropping F from the page cache same, after fadvise(DONTNEED)
#
# Both tools run RUNS times (default 5), interleaved (dd sequence, weir sequence, dd, ...) so
# that drift of the machine hits both alike; each figure is the median. dd is timed from outside
# (date +%s.%N around the process), which counts its start-up, a millisecond or two.
#
# Data: dd copies from SRC, a file of random bytes made once (head -c from /dev/urandom), synced
# and kept in the page cache, rather than from /dev/zero. Zeros cost less than real data on
# compressing or deduplicating filesystems (btrfs/ZFS compression) and on thin-provisioned
# virtual disks; Weir writes random pages (stamped per 4 KiB), so both tools write data that no
# layer can shortcut. The price on dd's side is one memcpy from the cached SRC per block where
# /dev/zero costs one memset; on ext4 here the two measured the same within the run-to-run noise.
# Reads do not depend on the source at all.
#
# Cold reads need the file out of the page cache. dd drops it with `iflag=nocache count=0`
# (posix_fadvise DONTNEED) after a sync, Weir with the same fadvise; the script checks with
# fincore (or, without it, the fall of Cached in /proc/meminfo) and the runner checks Cached.
# Where the drop does not happen the figure is printed as n/a with the reason, never as a
# disguised warm read. On a virtual machine a "cold" read may still come from the host's cache,
# and its speed can depend on how the file was written: on the Firecracker VM this was written
# on, a file written in 1 MiB-aligned writes (dd bs=1M) read back cold about 1.5x faster than one
# written in 1 MiB + 16 byte writes (dd bs=1048592, or Weir's header + page blocks), whoever read
# it. Compare read_cold figures across machines with that in mind.
#
# Environment: RUNS (default 5), CARGO_TARGET_DIR (where cargo puts the runner).

set -euo pipefail

DIR=${1:-${TMPDIR:-/tmp}}
SIZE=${2:-1024}
RUNS=${RUNS:-5}
GOAL=0.80
MEASUREMENTS=(write_cached write_synced read_warm read_cold)

die() {
    echo "spill-vs-dd: $*" >&2
    exit 1
}

[[ $SIZE =~ ^[1-9][0-9]*$ ]] || die "SIZE_MIB must be a positive integer, got '$SIZE'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[[ -e $DIR ]] || die "directory $DIR does not exist"
[[ -d $DIR ]] || die "$DIR is not a directory"
[[ -w $DIR ]] || die "directory $DIR is not writable"
DIR=$(cd "$DIR" && pwd)

# SRC stays for all runs, beside either dd's file or Weir's (never both at once).
free_mib=$(df -Pm "$DIR" | awk 'NR == 2 { print $4 }')
need_mib=$((2 * SIZE + 256))
((free_mib >= need_mib)) ||
    die "$DIR has $free_mib MiB free; $SIZE MiB needs $need_mib MiB (choose a smaller SIZE_MIB)"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
echo "building the runner (cargo build --release -p weir-benches --bin spill_throughput)" >&2
(cd "$ROOT" && cargo build --release --quiet -p weir-benches --bin spill_throughput)
RUNNER=${CARGO_TARGET_DIR:-$ROOT/target}/release/spill_throughput
[[ -x $RUNNER ]] || die "runner not found at $RUNNER"

WORK=$(mktemp -d "$DIR/spill-vs-dd.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
SRC=$WORK/source
F=$WORK/dd.file

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# Bytes of $1 in the page cache; empty when fincore is not there.
resident_bytes() {
    if command -v fincore >/dev/null; then
        fincore --bytes --noheadings --output RES "$1" | tr -d ' '
    fi
}

cached_bytes() { awk '/^Cached:/ { print $2 * 1024 }' /proc/meminfo; }

# Drops $F from the page cache; prints why not and fails when it stays cached.
drop_dd_file() {
    local before after resident
    sync
    before=$(cached_bytes)
    dd if="$F" iflag=nocache count=0 status=none
    resident=$(resident_bytes "$F")
    if [[ -n $resident ]]; then
        if ((resident > SIZE * 1024 * 1024 / 2)); then
            echo "page cache not dropped: $((resident >> 20)) of $SIZE MiB still resident"
            return 1
        fi
    else
        after=$(cached_bytes)
        if ((before - after < SIZE * 1024 * 1024 / 2)); then
            echo "page cache not dropped: Cached fell by $(((before - after) >> 20)) of $SIZE MiB"
            return 1
        fi
    fi
}

declare -A DD_SECS WEIR_SECS NOTE

# Times `dd "$@"` and appends the seconds to DD_SECS[$1].
time_dd() {
    local name=$1 start end
    shift
    start=$(now)
    dd "$@" status=none
    end=$(now)
    DD_SECS[$name]+=" $(elapsed "$start" "$end")"
}

run_dd() {
    local why
    rm -f "$F"
    cat "$SRC" >/dev/null # the source stays in the page cache
    time_dd write_cached if="$SRC" of="$F" bs=1M count="$SIZE"
    rm -f "$F"
    time_dd write_synced if="$SRC" of="$F" bs=1M count="$SIZE" conv=fdatasync
    time_dd read_warm if="$F" of=/dev/null bs=1M
    if why=$(drop_dd_file); then
        time_dd read_cold if="$F" of=/dev/null bs=1M
    else
        NOTE[dd_read_cold]=$why
    fi
    rm -f "$F"
}

run_weir() {
    local out tool name secs note
    # A failing runner stops the script here (set -e), its error on stderr.
    # Its spill directory goes inside WORK (same filesystem as DIR), so the trap removes what an
    # interrupted runner leaves behind.
    out=$("$RUNNER" --dir "$WORK" --size-mib "$SIZE" --block-kib 1024 --in-flight 4)
    # weir <measurement> <size> MiB <seconds> s <rate> MiB/s [note]
    while read -r tool name _ _ secs _ _ _ note; do
        [[ $tool == weir ]] || continue
        if [[ $secs == - ]]; then
            NOTE[weir_$name]=$note
        else
            WEIR_SECS[$name]+=" $secs"
        fi
    done <<<"$out"
}

# The median of a list of seconds (of an even count, the faster middle one); empty for none.
median() { tr ' ' '\n' | sort -g | awk 'NF { v[++n] = $1 } END { if (n) print v[int((n + 1) / 2)] }'; }
# "lo-hi" MiB/s of a list of seconds when the slowest run took over 1.5 times the fastest.
spread() {
    tr ' ' '\n' | sort -g | awk -v size="$SIZE" '
        NF { v[++n] = $1 }
        END { if (n > 1 && v[n] > 1.5 * v[1]) printf "%.0f-%.0f", size / v[n], size / v[1] }'
}
rate() { awk -v size="$SIZE" -v secs="$1" 'BEGIN { printf "%.1f", size / secs }'; }

echo "making $SIZE MiB of random source data for dd" >&2
head -c "$((SIZE * 1024 * 1024))" /dev/urandom >"$SRC"
sync

for ((run = 1; run <= RUNS; run++)); do
    echo "run $run of $RUNS: dd, then weir" >&2
    run_dd
    run_weir
done
rm -f "$SRC"

NOISY=()
fs=$(df -PT "$DIR" | awk 'NR == 2 { print $2 }')
echo
echo "spill throughput: $SIZE MiB in $DIR ($fs), blocks of 1 MiB, weir with 4 in flight, median of $RUNS runs"
printf '%-13s %10s %11s %8s %7s  %s\n' measurement "dd MiB/s" "weir MiB/s" weir/dd goal verdict
for name in "${MEASUREMENTS[@]}"; do
    dd_secs=$(median <<<"${DD_SECS[$name]:-}")
    weir_secs=$(median <<<"${WEIR_SECS[$name]:-}")
    dd_rate=n/a weir_rate=n/a ratio=n/a verdict=
    [[ -n $dd_secs ]] && dd_rate=$(rate "$dd_secs")
    [[ -n $weir_secs ]] && weir_rate=$(rate "$weir_secs")
    if [[ -n $dd_secs && -n $weir_secs ]]; then
        ratio=$(awk -v d="$dd_secs" -v w="$weir_secs" 'BEGIN { printf "%.2f", d / w }')
        verdict=$(awk -v r="$ratio" -v g="$GOAL" 'BEGIN { print (r >= g) ? "ok" : "BELOW GOAL" }')
    else
        verdict="not measured: ${NOTE[dd_$name]:-${NOTE[weir_$name]:-no sample}}"
    fi
    printf '%-13s %10s %11s %8s %7s  %s\n' "$name" "$dd_rate" "$weir_rate" "$ratio" ">=$GOAL" "$verdict"
    dd_spread=$(spread <<<"${DD_SECS[$name]:-}")
    weir_spread=$(spread <<<"${WEIR_SECS[$name]:-}")
    if [[ -n $dd_spread || -n $weir_spread ]]; then
        NOISY+=("$name: dd ${dd_spread:-steady} MiB/s, weir ${weir_spread:-steady} MiB/s")
    fi
done
if ((${#NOISY[@]})); then
    echo
    echo "noisy (slowest run over 1.5x the fastest; the median ratio is only as good as the machine):"
    printf '  %s\n' "${NOISY[@]}"
fi
