#!/usr/bin/env bash
# Fuzzes the protocol. Exits non-zero when a fuzzer finds a crash, a hang or a failed check.
#
#   scripts/fuzz.sh decoder [SECONDS]   libFuzzer (with AddressSanitizer) on the frame decoder and
#                                       request/response parsing, from Tests/FuzzCorpus/decoder
#                                       (default 60 s); a crashing input is saved to
#                                       Tests/FuzzCorpus/crashes/
#   scripts/fuzz.sh network [FRAMES] [immuta-netfuzz options...]
#                                       random and mutated frames over 50 connections to a
#                                       throwaway immutad while a well-behaved client checks it
#                                       keeps working (default 1000000 frames)
#
# The decoder fuzzer builds in .build-fuzz/ (release, instrumented), apart from the normal build.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

fuzz_decoder() {
    local seconds=${1:-60}
    swift build -c release --scratch-path .build-fuzz --product immuta-fuzz-decoder \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -D -Xswiftc IMMUTA_LIBFUZZER
    work=$(mktemp -d "${TMPDIR:-/tmp}/immuta-fuzz-decoder.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    # libFuzzer adds the inputs it finds to the first directory: a copy, so the repository's seed
    # corpus stays small and only changes when someone reruns scripts/make-fuzz-corpus.py.
    mkdir -p "$work/corpus" "$work/artifacts"
    cp Tests/FuzzCorpus/decoder/* "$work/corpus/"
    # Past crashes are replayed first, as regression inputs.
    local extra=()
    if [ -d Tests/FuzzCorpus/crashes ]; then extra=(Tests/FuzzCorpus/crashes); fi
    local status=0
    .build-fuzz/release/immuta-fuzz-decoder -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        "$work/corpus" ${extra[@]+"${extra[@]}"} || status=$?
    if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
        mkdir -p Tests/FuzzCorpus/crashes
        cp "$work/artifacts/"* Tests/FuzzCorpus/crashes/ 2>/dev/null || true
        echo "fuzz.sh: the decoder fuzzer failed (exit $status); inputs saved in Tests/FuzzCorpus/crashes/:" >&2
        ls -l Tests/FuzzCorpus/crashes >&2
        exit 1
    fi
    echo "fuzz.sh: decoder: no crash in ${seconds} s"
}

fuzz_network() {
    local frames=${1:-1000000}
    shift || true
    swift build --product immutad
    swift build --product immuta-netfuzz
    # Globals, not locals: the EXIT trap runs after this function has returned.
    work=$(mktemp -d "${TMPDIR:-/tmp}/immuta-fuzz-network.XXXXXX")
    pid=""
    trap 'if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
    # Run a copy of the daemon: a rebuild during the run must neither replace the binary under it
    # nor leave a crash backtrace without symbols.
    cp .build/debug/immutad "$work/immutad"
    "$work/immutad" --data-dir "$work/data" --socket "$work/immuta.sock" --log-level warning 2>"$work/immutad.log" &
    pid=$!
    # Ready when the socket accepts a connection (not when the file appears: bind comes before listen).
    local deadline=$((SECONDS + 60))
    until python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$work/immuta.sock" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$work/immutad.log" >&2
            echo "fuzz.sh: immutad exited before accepting connections" >&2
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "fuzz.sh: immutad did not accept connections within 60 s" >&2
            exit 1
        fi
        sleep 0.05
    done

    local status=0
    .build/debug/immuta-netfuzz --socket "$work/immuta.sock" --pid "$pid" --frames "$frames" \
        --transcripts "$work/transcripts" "$@" || status=$?

    # The daemon must still stop cleanly: SIGTERM, exit 0 within 30 s, no crash report.
    local daemon_status=0
    if kill -TERM "$pid" 2>/dev/null; then
        local waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ] && [ $waited -lt 300 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        if [ $waited -ge 300 ]; then
            echo "fuzz.sh: immutad did not exit within 30 s of SIGTERM" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" || daemon_status=$?
    pid=""
    local crashed=0
    if grep -Eqi 'fatal error|program crashed|precondition failed|assertion failed|backtrac|segmentation fault' "$work/immutad.log"; then
        crashed=1
    fi
    if [ "$status" -ne 0 ] || [ "$daemon_status" -ne 0 ] || [ "$crashed" -ne 0 ]; then
        local keep
        keep=$(mktemp -d "${TMPDIR:-/tmp}/immuta-fuzz-network-failure.XXXXXX")
        cp -r "$work/immutad.log" "$keep/"
        if [ -d "$work/transcripts" ]; then cp -r "$work/transcripts" "$keep/"; fi
        # What killed the daemon: the runtime's message and the crashed thread's backtrace.
        grep -aE 'Fatal error|Assertion failed|Precondition failed|Program crashed' "$work/immutad.log" >&2 || true
        awk '/crashed:$/ { show = 24 } show > 0 { print; show-- }' "$work/immutad.log" >&2
        echo "fuzz.sh: network fuzzing failed (fuzzer exit $status, immutad exit $daemon_status, crash report $crashed);" \
            "daemon log and connection transcripts kept in $keep" >&2
        exit 1
    fi
    echo "fuzz.sh: network: no crash, no hang, the well-behaved client never failed; immutad stopped cleanly"
}

case "${1:-}" in
decoder) shift; fuzz_decoder "$@" ;;
network) shift; fuzz_network "$@" ;;
*) usage ;;
esac
