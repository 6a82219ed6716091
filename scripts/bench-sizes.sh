#!/usr/bin/env bash
# Produce and catch-up consume throughput against record size, 16 B to 1 MiB, on a throwaway
# release immutad: one JSON line per run (immutactl bench's own output), for
# scripts/bench-plot.py's throughput chart.
#
#   scripts/bench-sizes.sh [--quick] [--json FILE]     (default FILE: bench-sizes.jsonl)
#
# Each size moves about 256 MB (64 MB with --quick), at most 2,000,000 records and at least 200,
# in batches that fit one frame; the topic is fsync-free (ack write), as in docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bytes_per_run=$((256 << 20))
out=bench-sizes.jsonl
while (($#)); do
    case "$1" in
        --quick) bytes_per_run=$((64 << 20)) ;;
        --json) out=$2; shift ;;
        *) echo "usage: $0 [--quick] [--json FILE]" >&2; exit 64 ;;
    esac
    shift
done

scripts/setup-deps.sh
swift build -c release --scratch-path .build-bench --product immutad
swift build -c release --scratch-path .build-bench --product immutactl
bin=.build-bench/release

work=$(mktemp -d /tmp/immuta-sizes.XXXXXX)
daemon=
cleanup() {
    if [[ -n $daemon ]]; then kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$bin/immutad" --data-dir "$work/data" --socket "$work/immuta.sock" 2>"$work/immutad.log" &
daemon=$!
# Ready when it answers, not after a guess: status succeeds once the socket serves.
for _ in $(seq 200); do
    "$bin/immutactl" --socket "$work/immuta.sock" status >/dev/null 2>&1 && break
    kill -0 "$daemon" 2>/dev/null || { cat "$work/immutad.log" >&2; exit 1; }
    sleep 0.05  # polling for readiness, bounded by the loop
done

: >"$out"
for size in 16 64 256 1024 4096 16384 65536 262144 1048576; do
    count=$((bytes_per_run / size))
    ((count > 2000000)) && count=2000000
    ((count < 200)) && count=200
    for workload in produce consume; do
        IMMUTA_NO_PROGRESS=1 "$bin/immutactl" --socket "$work/immuta.sock" bench "$workload" \
            --size "$size" --count "$count" --topic "sizes-$size" --keep --json | tee -a "$out"
    done
    "$bin/immutactl" --socket "$work/immuta.sock" topic delete "sizes-$size" >/dev/null
done
echo "wrote $out" >&2
