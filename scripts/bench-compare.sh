#!/usr/bin/env bash
# Immuta against Redis Streams and NATS JetStream: the same workloads on each, in one run, and one
# table with the ratios and the targets of docs/BENCHMARKS.md ("Immuta against Redis and NATS").
#
#   scripts/bench-compare.sh                 the full run, about 5 to 10 minutes on 2 cores
#   scripts/bench-compare.sh --quick         small counts, about a minute: to try it out
#   scripts/bench-compare.sh --json FILE     also every row's figures (and every run's) as JSON lines
#   scripts/bench-compare.sh --only 'e2e|rtt'   only the workloads whose key or title matches
#
# Keys: memory consume-100 consume-64k produce-write produce-fsync8 e2e-1000 e2e-100000 rtt-fsync
# rtt-write fanout group scale. --only matches its expression within "KEY TITLE", so 'e2e-1000 '
# (with the space) leaves out e2e-100000. The machine's limits are measured in every run.
#
# It installs what is missing (Debian's redis-server, redis-tools, nats-server, libhiredis-dev,
# libnats-dev, gcc, pkg-config), builds release immutad and immutactl (in .build-bench) and the C
# peer clients of scripts/bench-peers, and starts throwaway servers in one temporary directory
# ($TMPDIR or /tmp): immutad and redis-server on Unix sockets, nats-server with JetStream on a
# random 127.0.0.1 port (NATS has no Unix socket). Whatever it started is stopped by its pid, and
# the directory removed, when it ends, also on Ctrl-C. Packaged services of Redis or NATS, running
# or not, play no part.
set -euo pipefail
export LC_ALL=C.UTF-8   # character counts for the table's padding; '.' as the decimal point
caller_dir=$PWD
cd "$(dirname "$0")/.."

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

quick=0 json_file="" only=""
while (($#)); do
    case $1 in
    --quick) quick=1 ;;
    --json)
        [[ $# -ge 2 ]] || { echo "bench-compare: --json needs a file name" >&2; exit 64; }
        json_file=$2
        [[ $json_file == /* ]] || json_file=$caller_dir/$json_file
        shift ;;
    --only)
        [[ $# -ge 2 ]] || { echo "bench-compare: --only needs a regular expression" >&2; exit 64; }
        only=$2
        shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench-compare: unknown argument '$1' (--quick, --json FILE, --only REGEX)" >&2; exit 64 ;;
    esac
    shift
done

# Counts: the full run, or --quick.
if ((quick)); then
    runs=1 raw_bytes=$((256 << 20)) raw_pings=20000 raw_syncs=300
    n_c100=100000 n_c64k=1000 n_produce=100000 n_fsync8=4000 n_e2e_slow=2000 n_e2e_fast=200000
    n_rtt_fsync=300 n_rtt_write=3000 n_fanout=5000 n_group=50000 n_conns=1000 n_scale=1000 n_scale_produce=100000
else
    runs=3 raw_bytes=$((2 << 30)) raw_pings=100000 raw_syncs=2000
    n_c100=1000000 n_c64k=10000 n_produce=1000000 n_fsync8=40000 n_e2e_slow=10000 n_e2e_fast=500000
    n_rtt_fsync=2000 n_rtt_write=20000 n_fanout=50000 n_group=500000 n_conns=1000 n_scale=10000 n_scale_produce=1000000
fi
e2e_window=256  # records in flight for every e2e producer: the most immutactl allows, so that the window limits none

log() { printf '[bench-compare %s] %s\n' "$(date +%T)" "$*" >&2; }  # the time: to tell which rows other load touched

# --- Set-up: packages, builds ----------------------------------------------------------------

install_missing() {
    local needed=() pkg sudo_cmd=()
    for pkg in redis-server redis-tools nats-server libhiredis-dev libnats-dev gcc pkg-config; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || needed+=("$pkg")
    done
    ((${#needed[@]})) || return 0
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    log "installing: ${needed[*]}"
    "${sudo_cmd[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${needed[@]}"
}

work="" pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [[ -n $work ]] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_missing
log "building release immutad and immutactl (.build-bench)"
swift build -c release --scratch-path .build-bench --product immutad >&2
swift build -c release --scratch-path .build-bench --product immutactl >&2
bin=$PWD/.build-bench/release
ctl=$bin/immutactl

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")
mkdir -p "$work/peers" "$work/runs"
log "building the peer clients into $work/peers"
for source in scripts/bench-peers/*.c; do
    name=$(basename "$source" .c)
    # shellcheck disable=SC2046  # pkg-config prints several words on purpose
    gcc -O2 -Wall -o "$work/peers/$name" "$source" $(pkg-config --cflags --libs hiredis libnats) -lpthread
done
peers=$work/peers

# 1,000 idle connections, 64 subscribers and 10,000 topics need more descriptors than the usual 1024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# --- Small helpers ---------------------------------------------------------------------------

# The number after "NAME": in a flat JSON object (what every client here prints).
jfield() { sed -nE "s/.*\"$2\":(-?[0-9][0-9.eE+-]*).*/\1/p" <<<"$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"%.6f\", ($*) }"; }
is_true() { awk "BEGIN { exit !($*) }"; }
group_digits() { sed -E ':a;s/^(-?[0-9]+)([0-9]{3})/\1,\2/;ta' <<<"$1"; }
# A figure with its unit, as the table shows it.
show() {
    local value=$1 unit=$2
    [[ -z $value ]] && { echo "—"; return; }
    [[ $value == failed ]] && { echo "failed"; return; }
    case $unit in
    rec/s | ms) echo "$(group_digits "$(printf '%.0f' "$value")") $unit" ;;
    *) echo "$(group_digits "$(printf '%.1f' "$value")") $unit" ;;
    esac
}
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
wanted() { [[ -z $only ]] || [[ "$1 $2" =~ $only ]]; }

# Every run's JSON line, kept per system for the row's --json line.
declare -A run_lines=()
keep_run() { run_lines[$1]+="${run_lines[$1]:+,}$2"; }
# Runs a client and sets `result` to its JSON line (kept for --json). A failure leaves `result`
# empty and is logged, so that one peer's trouble does not cost the rest of the run.
measure() {
    local system=$1
    shift
    result=""
    if result=$("$@" 2>>"$work/errors.log"); then
        result=$(tail -n 1 <<<"$result")
        keep_run "$system" "$result"
    else
        echo "$system: '$*' failed (exit status $?)" >>"$work/errors.log"
        result=""
    fi
}
# Runs an untimed step (filling a stream); a failure is logged.
untimed() { "$@" >/dev/null 2>>"$work/errors.log" || echo "'$*' failed (exit status $?)" >>"$work/errors.log"; }
# The median of a field over the JSON lines given, or "failed" when there are none.
median_of() {
    local field=$1 line values=()
    shift
    for line in "$@"; do [[ -n $line ]] && values+=("$(jfield "$line" "$field")"); done
    if ((${#values[@]})); then median "${values[@]}"; else echo failed; fi
}
numeric() { [[ $1 =~ ^-?[0-9.]+([eE][-+]?[0-9]+)?$ ]]; }

# --- Servers ---------------------------------------------------------------------------------

immuta_sock=$work/immuta.sock redis_sock=$work/redis.sock
export IMMUTA_SOCKET=$immuta_sock
cat >"$work/immuta.conf" <<'EOF'
# bench-compare.sh: room for 1,000 idle connections and 10,000 topics; the rest as shipped.
log_level: warning
max_connections: 4096
max_connections_per_uid: 4096
max_topics: 20000
EOF

# Starts a process in the background and remembers its pid for stop_pid and the exit trap.
started=""
start_bg() {
    "$@" &
    started=$!
    pids+=("$started")
}
stop_pid() {
    local pid=$1 kept=() other
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for other in "${pids[@]}"; do [[ $other == "$pid" ]] || kept+=("$other"); done
    pids=("${kept[@]}")
}

# Starts immutad on DATA-DIR and SOCKET; sets immutad_pid once it answers HELLO.
start_immutad() {
    start_bg "$bin/immutad" --config "$work/immuta.conf" --data-dir "$1" --socket "$2" 2>>"$work/immutad.log"
    immutad_pid=$started
    "$peers/immuta_admin" wait "$2" 30000 || { cat "$work/immutad.log" >&2; exit 1; }
}

start_servers() {
    start_immutad "$work/immuta-data" "$immuta_sock"
    main_immutad_pid=$immutad_pid
    mkdir -p "$work/redis"
    # Unix socket only; AOF with everysec (switched to always for the ack-fsync rows); no RDB
    # snapshots and no automatic AOF rewrite, whose fork would land in some row's figures.
    start_bg redis-server --port 0 --unixsocket "$redis_sock" --unixsocketperm 700 --dir "$work/redis" \
        --save '' --appendonly yes --appendfsync everysec --auto-aof-rewrite-percentage 0 \
        --daemonize no --logfile "$work/redis.log"
    redis_pid=$started
    start_bg nats-server -js -sd "$work/nats" -a 127.0.0.1 -p -1 --ports_file_dir "$work" -l "$work/nats.log"
    nats_pid=$started
    local deadline=$((SECONDS + 30))
    until [[ $(redis-cli -s "$redis_sock" ping 2>/dev/null) == PONG ]]; do
        ((SECONDS < deadline)) || { log "redis-server did not answer PING within 30 s"; cat "$work/redis.log" >&2; exit 1; }
        sleep 0.05
    done
    # nats-server writes its ports file once its listener (and JetStream) is up.
    local ports=$work/nats-server_$nats_pid.ports
    until [[ -s $ports ]] && grep -q 'nats://' "$ports"; do
        ((SECONDS < deadline)) || { log "nats-server did not start within 30 s"; cat "$work/nats.log" >&2; exit 1; }
        sleep 0.05
    done
    nats_url=$(grep -oE 'nats://127\.0\.0\.1:[0-9]+' "$ports" | head -n 1)
    nats_port=${nats_url##*:}
}

redis_do() { redis-cli -s "$redis_sock" "$@" >/dev/null; }
# Empties Redis and rewrites its AOF, so that each workload starts from an empty server and the
# AOF does not grow over the whole run; waits for the rewrite to end.
redis_reset() {
    redis_do FLUSHALL
    redis_do BGREWRITEAOF
    local deadline=$((SECONDS + 60))
    while redis-cli -s "$redis_sock" INFO persistence | grep -qE 'aof_rewrite_(in_progress|scheduled):1'; do
        ((SECONDS < deadline)) || break
        sleep 0.05
    done
}
nats_delete() { "$peers/nats_admin" "$nats_url" "$@" 2>>"$work/errors.log" || true; }

# --- The table -------------------------------------------------------------------------------

rows=() notes=()
json_or_null() { if numeric "$1"; then echo "$1"; else echo null; fi; }
# emit_row KEY TITLE UNIT IMMUTA REDIS NATS TARGET MET [NATS-MARK]: one row of the table, and its
# JSON line (with every run's figures) for --json.
emit_row() {
    local key=$1 title=$2 unit=$3 immuta=$4 redis=$5 nats=$6 target=$7 met=$8 mark=${9:-}
    local ratio_redis="—" ratio_nats="—" nats_shown
    if numeric "$immuta" && numeric "$redis" && is_true "$redis > 0"; then
        ratio_redis="$(printf '%.2f' "$(calc "$immuta / $redis")")×"
    fi
    if numeric "$immuta" && numeric "$nats" && is_true "$nats > 0"; then
        ratio_nats="$(printf '%.2f' "$(calc "$immuta / $nats")")×"
    fi
    nats_shown=$(show "$nats" "$unit")
    [[ -n $mark && $nats_shown != "—" ]] && nats_shown+=" $mark"
    rows+=("$title|$(show "$immuta" "$unit")|$(show "$redis" "$unit")|$nats_shown|$ratio_redis|$ratio_nats|$target|$met")
    if [[ -n $json_file ]]; then
        printf '{"key":"%s","workload":"%s","unit":"%s","immuta":%s,"redis":%s,"nats":%s,"target":"%s","met":"%s","runs":{"immuta":[%s],"redis":[%s],"nats":[%s]}}\n' \
            "$key" "$title" "$unit" "$(json_or_null "$immuta")" "$(json_or_null "$redis")" "$(json_or_null "$nats")" \
            "$target" "${met//\*/}" "${run_lines[immuta]:-}" "${run_lines[redis]:-}" "${run_lines[nats]:-}" >>"$json_file"
    fi
}
start_row() { run_lines=(); log "$*"; }
# yes, or a bold no, for a condition in awk syntax; n/a when a figure is missing.
verdict() {
    local figure
    for figure in "${@:2}"; do numeric "$figure" || { echo "n/a"; return; }; done
    if is_true "$1"; then echo yes; else echo "**no**"; fi
}

print_table() {
    local header="workload|Immuta|Redis|NATS|Immuta÷Redis|Immuta÷NATS|target|met?"
    local line cells i cell widths=()
    for line in "$header" "${rows[@]}"; do
        IFS='|' read -r -a cells <<<"$line"
        for i in "${!cells[@]}"; do
            ((${#cells[i]} > ${widths[i]:-0})) && widths[i]=${#cells[i]}
        done
    done
    # Text columns are left-aligned, figures right-aligned, as Markdown renders them.
    for line in "$header" "--" "${rows[@]}"; do
        IFS='|' read -r -a cells <<<"$line"
        printf '|'
        for i in "${!widths[@]}"; do
            cell=${cells[i]:-}
            if [[ $line == "--" ]]; then
                cell=$(printf '%*s' "${widths[i]}" '' | tr ' ' '-')
                ((i >= 1 && i <= 5)) && cell=${cell%-}:
                printf ' %s |' "$cell"
            elif ((i == 0 || i >= 6)); then
                printf ' %s%*s |' "$cell" $((widths[i] - ${#cell})) ''
            else
                printf ' %*s%s |' $((widths[i] - ${#cell})) '' "$cell"
            fi
        done
        printf '\n'
    done
}

# --- Machine limits --------------------------------------------------------------------------

raw_bw="" raw_pp50="" raw_pp99="" raw_sync50=""
machine_limits() {
    start_row "machine limits: Unix socket bandwidth, ping-pong, fdatasync"
    measure machine "$peers/raw_limits" bandwidth "$raw_bytes"
    raw_bw=$(jfield "$result" mb_per_sec)
    measure machine "$peers/raw_limits" pingpong "$raw_pings"
    raw_pp50=$(jfield "$result" p50_us) raw_pp99=$(jfield "$result" p99_us)
    measure machine "$peers/raw_limits" fdatasync "$work" "$raw_syncs"
    raw_sync50=$(jfield "$result" p50_us)
    [[ -n $json_file ]] && printf '{"key":"machine","runs":[%s]}\n' "${run_lines[machine]:-}" >>"$json_file"
    return 0
}

# --- Workloads -------------------------------------------------------------------------------
# Each runs the same work on the three systems, interleaved run by run so that a change in the
# machine's load hits all three alike, and emits its rows. Figures are medians of the runs.

idle_immuta="" idle_redis="" idle_nats=""
# RSS of a server while conn_hold holds n_conns handshaken connections to it.
rss_with_connections() {
    local kind=$1 address=$2 server_pid=$3 out=$work/hold.$1 deadline=$((SECONDS + 60))
    start_bg "$peers/conn_hold" "$kind" "$address" "$n_conns" >"$out" 2>>"$work/errors.log"
    local holder=$started
    until grep -q '^ready' "$out" 2>/dev/null; do
        if ! kill -0 "$holder" 2>/dev/null || ((SECONDS >= deadline)); then
            echo "conn_hold $kind did not get its $n_conns connections" >>"$work/errors.log"
            stop_pid "$holder"
            echo failed
            return
        fi
        sleep 0.05
    done
    rss_mib "$server_pid"
    stop_pid "$holder"
}
workload_memory() {
    start_row "memory: RSS idle and with $n_conns idle connections"
    emit_row memory-idle "memory: RSS, idle" MiB "$idle_immuta" "$idle_redis" "$idle_nats" \
        "≤ 16 MiB" "$(verdict "$idle_immuta <= 16" "$idle_immuta")"
    local immuta redis nats
    immuta=$(rss_with_connections immuta "$immuta_sock" "$main_immutad_pid")
    redis=$(rss_with_connections redis "$redis_sock" "$redis_pid")
    nats=$(rss_with_connections nats "$nats_port" "$nats_pid")
    emit_row memory-connections "memory: RSS, $(group_digits "$n_conns") idle connections" MiB "$immuta" "$redis" "$nats" \
        "≤ 48 MiB" "$(verdict "$immuta <= 48" "$immuta")"
}

workload_consume_100() {
    start_row "catch-up consume, 100 B: $n_c100 records, $runs runs"
    local immuta=() redis=() nats=() r
    redis_reset
    nats_delete C100
    untimed "$peers/redis_produce" -s "$redis_sock" -k c100 -n "$n_c100" -d 100 -P 1000
    untimed "$peers/nats_produce" -u "$nats_url" -S C100 -n "$n_c100" -d 100
    for ((r = 1; r <= runs; r++)); do
        measure immuta "$ctl" bench consume --size 100 --count "$n_c100" --topic cmp-c100 --keep --json
        immuta+=("$result")
        measure redis "$peers/redis_consume" -s "$redis_sock" -k c100 -n "$n_c100" -b 1000
        redis+=("$result")
        measure nats "$peers/nats_consume" -u "$nats_url" -S C100 -n "$n_c100" -b 1000
        nats+=("$result")
    done
    untimed "$ctl" topic delete cmp-c100
    redis_reset
    nats_delete C100
    local i r n
    i=$(median_of records_per_sec "${immuta[@]}") r=$(median_of records_per_sec "${redis[@]}") n=$(median_of records_per_sec "${nats[@]}")
    emit_row consume-100 "catch-up consume, 100 B" rec/s "$i" "$r" "$n" "≥ 5× Redis XRANGE" "$(verdict "$i >= 5 * $r" "$i" "$r")"
}

workload_consume_64k() {
    start_row "catch-up consume, 64 KiB: $n_c64k records, $runs runs"
    local immuta=() redis=() nats=() r
    redis_reset
    nats_delete C64K
    untimed "$peers/redis_produce" -s "$redis_sock" -k c64k -n "$n_c64k" -d 65536 -P 16
    untimed "$peers/nats_produce" -u "$nats_url" -S C64K -n "$n_c64k" -d 65536 -w 64
    for ((r = 1; r <= runs; r++)); do
        measure immuta "$ctl" bench consume --size 64K --count "$n_c64k" --topic cmp-c64k --keep --json
        immuta+=("$result")
        # Pages of 16 entries (1 MiB, what one Immuta delivery carries at most): Redis's fastest here,
        # where pages of 1000 (64 MiB replies) are slower. NATS fetches 1000, its fastest.
        measure redis "$peers/redis_consume" -s "$redis_sock" -k c64k -n "$n_c64k" -b 16
        redis+=("$result")
        measure nats "$peers/nats_consume" -u "$nats_url" -S C64K -n "$n_c64k" -b 1000
        nats+=("$result")
    done
    untimed "$ctl" topic delete cmp-c64k
    redis_reset
    nats_delete C64K
    local i r n share="?"
    i=$(median_of mb_per_sec "${immuta[@]}") r=$(median_of mb_per_sec "${redis[@]}") n=$(median_of mb_per_sec "${nats[@]}")
    numeric "$i" && numeric "$raw_bw" && share=$(printf '%.0f%%' "$(calc "100 * $i / $raw_bw")")
    emit_row consume-64k "catch-up consume, 64 KiB" MB/s "$i" "$r" "$n" \
        "≥ 60% of raw socket $(show "$raw_bw" MB/s) (is $share)" "$(verdict "$i >= 0.6 * $raw_bw" "$i" "$raw_bw")"
}

workload_produce_write() {
    start_row "produce 100 B in batches of 1000, ack write: $n_produce records, $runs runs"
    local immuta=() redis=() nats=() r
    redis_reset
    for ((r = 1; r <= runs; r++)); do
        measure immuta "$ctl" bench produce --size 100 --count "$n_produce" --batch 1000 --ack write --json
        immuta+=("$result")
        redis_do DEL pw
        measure redis "$peers/redis_produce" -s "$redis_sock" -k pw -n "$n_produce" -d 100 -P 64
        redis+=("$result")
        redis_do DEL pw
        nats_delete PW
        measure nats "$peers/nats_produce" -u "$nats_url" -S PW -n "$n_produce" -d 100 -w 8192
        nats+=("$result")
        nats_delete PW
    done
    redis_reset
    local i r n
    i=$(median_of records_per_sec "${immuta[@]}") r=$(median_of records_per_sec "${redis[@]}") n=$(median_of records_per_sec "${nats[@]}")
    emit_row produce-write "produce 100 B, batches of 1000, ack write" rec/s "$i" "$r" "$n" \
        "≥ 8× Redis XADD -P 64" "$(verdict "$i >= 8 * $r" "$i" "$r")"
}

# Immuta's 8 producers: 8 immutactl processes, each producing one record at a time with ack fsync
# to one fsync topic. Sets `result` to a JSON line with their total over the longest run.
immuta_eight_producers() {
    local k each=$((n_fsync8 / 8)) procs=() failed=0 line total=0 longest=0
    untimed "$ctl" topic create cmp-f8 --durability fsync
    for k in 1 2 3 4 5 6 7 8; do
        start_bg "$ctl" bench produce --topic cmp-f8 --size 100 --count "$each" --batch 1 --in-flight 1 --ack fsync --json \
            >"$work/runs/f8.$k" 2>>"$work/errors.log"
        procs+=("$started")
    done
    for k in "${procs[@]}"; do
        wait "$k" || failed=1
        stop_pid "$k"
    done
    untimed "$ctl" topic delete cmp-f8
    result=""
    ((failed)) && { echo "immuta: one of the 8 producers failed" >>"$work/errors.log"; return; }
    for k in 1 2 3 4 5 6 7 8; do
        line=$(tail -n 1 "$work/runs/f8.$k")
        keep_run immuta "$line"
        total=$((total + $(jfield "$line" records)))
        longest=$(calc "$(jfield "$line" seconds) > $longest ? $(jfield "$line" seconds) : $longest")
    done
    result="{\"benchmark\":\"produce_8_processes\",\"records\":$total,\"seconds\":$longest,\"records_per_sec\":$(calc "$total / $longest")}"
}
workload_produce_fsync8() {
    start_row "produce 100 B, 8 producers one record at a time, ack fsync: $n_fsync8 records, $runs runs"
    local immuta=() redis=() nats=() r
    redis_reset
    for ((r = 1; r <= runs; r++)); do
        immuta_eight_producers
        immuta+=("$result")
        redis_do CONFIG SET appendfsync always
        measure redis "$peers/redis_produce" -s "$redis_sock" -k f8 -n "$n_fsync8" -d 100 -c 8 -P 1
        redis+=("$result")
        redis_do CONFIG SET appendfsync everysec
        redis_do DEL f8
        nats_delete F8
        measure nats "$peers/nats_produce" -u "$nats_url" -S F8 -n "$n_fsync8" -d 100 -c 8 -y
        nats+=("$result")
        nats_delete F8
    done
    redis_reset
    local i r n
    i=$(median_of records_per_sec "${immuta[@]}") r=$(median_of records_per_sec "${redis[@]}") n=$(median_of records_per_sec "${nats[@]}")
    emit_row produce-fsync8 "produce 100 B, 8 producers, ack fsync" rec/s "$i" "$r" "$n" \
        "≥ 3× Redis always and ≥ 3× NATS sync publish" "$(verdict "$i >= 3 * $r && $i >= 3 * $n" "$i" "$r" "$n")" "†"
}

# e2e at RATE with COUNT records: one run per system (the latencies are already many samples).
workload_e2e() {
    local rate=$1 count=$2 shown
    shown=$(group_digits "$rate")
    start_row "e2e latency, 100 B at $shown records/s: $count records"
    redis_reset
    nats_delete E2E
    measure immuta "$ctl" bench e2e --size 100 --count "$count" --rate "$rate" --in-flight "$e2e_window" --json
    local immuta_line=$result
    measure redis "$peers/redis_e2e" -s "$redis_sock" -k e2e -n "$count" -r "$rate" -d 100 -w "$e2e_window"
    local redis_line=$result
    measure nats "$peers/nats_e2e" -u "$nats_url" -S E2E -n "$count" -r "$rate" -d 100 -w "$e2e_window"
    local nats_line=$result
    redis_reset
    nats_delete E2E
    # A system that cannot keep the offered rate queues the rest, and its latency grows with the
    # run's length: say so under the table.
    local system line achieved slow=""
    for system in immuta redis nats; do
        line="${system}_line"
        achieved=$(jfield "${!line}" records_per_sec)
        if numeric "$achieved" && is_true "$achieved < 0.95 * $rate"; then
            slow+="${slow:+, }$system $(show "$achieved" rec/s)"
        fi
    done
    [[ -n $slow ]] && notes+=("e2e at $shown/s: below the offered rate, so records queued in the producer: $slow.")
    local p i r n target met
    for p in p50 p99; do
        i=$(median_of "${p}_us" "$immuta_line") r=$(median_of "${p}_us" "$redis_line") n=$(median_of "${p}_us" "$nats_line")
        target="≤ Redis" met=$(verdict "$i <= $r" "$i" "$r")
        if [[ $p == p99 && $rate == 1000 ]]; then
            target="≤ Redis; ≤ 100 µs on a quiet machine"
            met="$met; $(verdict "$i <= 100" "$i") (load $(cut -d' ' -f1 /proc/loadavg))"
        fi
        emit_row "e2e-$rate-$p" "e2e latency 100 B at $shown/s, $p" µs "$i" "$r" "$n" "$target" "$met"
    done
}

workload_rtt_fsync() {
    start_row "ack-fsync produce round trip, one record at a time: $n_rtt_fsync records"
    redis_reset
    nats_delete RF
    measure immuta "$ctl" bench rtt --size 100 --count "$n_rtt_fsync" --ack fsync --json
    local immuta_line=$result
    redis_do CONFIG SET appendfsync always
    measure redis "$peers/redis_produce" -s "$redis_sock" -k rf -n "$n_rtt_fsync" -d 100 -P 1
    local redis_line=$result
    redis_do CONFIG SET appendfsync everysec
    measure nats "$peers/nats_produce" -u "$nats_url" -S RF -n "$n_rtt_fsync" -d 100 -y
    local nats_line=$result
    redis_reset
    nats_delete RF
    local i r n
    i=$(median_of p50_us "$immuta_line") r=$(median_of p50_us "$redis_line") n=$(median_of p50_us "$nats_line")
    emit_row rtt-fsync "ack-fsync produce round trip, 1 record, p50" µs "$i" "$r" "$n" \
        "≤ Redis always (fdatasync p50 $(show "$raw_sync50" µs))" "$(verdict "$i <= $r" "$i" "$r")" "†"
}

workload_rtt_write() {
    start_row "synchronous produce round trip, ack write, one record at a time: $n_rtt_write records"
    redis_reset
    nats_delete RW
    measure immuta "$ctl" bench rtt --size 100 --count "$n_rtt_write" --json
    local immuta_line=$result
    measure redis "$peers/redis_produce" -s "$redis_sock" -k rw -n "$n_rtt_write" -d 100 -P 1
    local redis_line=$result
    measure nats "$peers/nats_produce" -u "$nats_url" -S RW -n "$n_rtt_write" -d 100 -y
    local nats_line=$result
    redis_reset
    nats_delete RW
    local i r n
    i=$(median_of p50_us "$immuta_line") r=$(median_of p50_us "$redis_line") n=$(median_of p50_us "$nats_line")
    emit_row rtt-write "synchronous produce round trip, batch of 1, p50" µs "$i" "$r" "$n" \
        "≤ 1.3× raw ping-pong p50 $(show "$raw_pp50" µs)" "$(verdict "$i <= 1.3 * $raw_pp50" "$i" "$raw_pp50")"
}

workload_fanout() {
    start_row "fan-out, 1 producer and 64 subscribers, 100 B: $n_fanout records, $runs runs"
    local immuta=() redis=() nats=() r
    redis_reset
    for ((r = 1; r <= runs; r++)); do
        measure immuta "$ctl" bench fanout --size 100 --count "$n_fanout" --consumers 64 --json
        immuta+=("$result")
        measure redis "$peers/redis_fanout" -s "$redis_sock" -k fo -n "$n_fanout" -c 64 -d 100 -P 1000
        redis+=("$result")
        redis_do DEL fo
        nats_delete FO
        measure nats "$peers/nats_fanout" -u "$nats_url" -S FO -n "$n_fanout" -c 64 -d 100 -w 8192
        nats+=("$result")
        nats_delete FO
    done
    redis_reset
    local i r n
    i=$(median_of records_per_sec "${immuta[@]}") r=$(median_of records_per_sec "${redis[@]}") n=$(median_of records_per_sec "${nats[@]}")
    emit_row fanout "fan-out 1 → 64 subscribers, 100 B (deliveries)" rec/s "$i" "$r" "$n" \
        "≥ 3× Redis, 64 XREAD BLOCK" "$(verdict "$i >= 3 * $r" "$i" "$r")"
}

workload_group() {
    start_row "group, managed delivery with acks, 100 B: $n_group records, $runs runs"
    local immuta=() redis=() nats=() r
    redis_reset
    nats_delete G100
    untimed "$peers/redis_produce" -s "$redis_sock" -k g100 -n "$n_group" -d 100 -P 1000
    untimed "$peers/nats_produce" -u "$nats_url" -S G100 -n "$n_group" -d 100
    for ((r = 1; r <= runs; r++)); do
        measure immuta "$ctl" bench group --size 100 --count "$n_group" --topic cmp-g100 --keep --json
        immuta+=("$result")
        measure redis "$peers/redis_group" -s "$redis_sock" -k g100 -n "$n_group" -b 1000
        redis+=("$result")
        measure nats "$peers/nats_consume" -u "$nats_url" -S G100 -n "$n_group" -b 1000 -a
        nats+=("$result")
    done
    untimed "$ctl" topic delete cmp-g100
    redis_reset
    nats_delete G100
    local i r n
    i=$(median_of records_per_sec "${immuta[@]}") r=$(median_of records_per_sec "${redis[@]}") n=$(median_of records_per_sec "${nats[@]}")
    emit_row group "group, managed delivery with acks, 100 B" rec/s "$i" "$r" "$n" \
        "≥ 5× Redis XREADGROUP+XACK" "$(verdict "$i >= 5 * $r" "$i" "$r")"
}

# Immuta alone: a daemon of its own gets n_scale topics with one group each, is restarted, and is
# timed from exec to its first HELLO_OK; then its RSS, and produce compared with one topic.
workload_scale() {
    local shown sock=$work/scale.sock produce_before=() produce_after=() r
    shown=$(group_digits "$n_scale")
    start_row "scale: $n_scale topics and $n_scale groups"
    start_immutad "$work/scale-data" "$sock"
    for ((r = 1; r <= runs; r++)); do
        measure immuta env IMMUTA_SOCKET="$sock" "$ctl" bench produce --size 100 --count "$n_scale_produce" --json
        produce_before+=("$result")
    done
    measure immuta "$peers/immuta_admin" populate "$sock" "$n_scale"
    local populate
    populate=$(jfield "$result" seconds)
    stop_pid "$immutad_pid"
    local begin end startup rss i one
    begin=$(date +%s%N)
    start_immutad "$work/scale-data" "$sock"
    end=$(date +%s%N)
    startup=$(calc "($end - $begin) / 1e6")
    rss=$(rss_mib "$immutad_pid")
    for ((r = 1; r <= runs; r++)); do
        measure immuta env IMMUTA_SOCKET="$sock" "$ctl" bench produce --size 100 --count "$n_scale_produce" --json
        produce_after+=("$result")
    done
    stop_pid "$immutad_pid"
    emit_row scale-create "scale: creating $shown topics + $shown groups (64 requests in flight)" s "${populate:-failed}" "" "" "—" "—"
    emit_row scale-startup "scale: start-up with $shown topics + $shown groups" ms "$startup" "" "" \
        "≤ 1,000 ms" "$(verdict "$startup <= 1000" "$startup")"
    emit_row scale-rss "scale: RSS after that start-up" MiB "$rss" "" "" "≤ 128 MiB" "$(verdict "$rss <= 128" "$rss")"
    i=$(median_of records_per_sec "${produce_after[@]}") one=$(median_of records_per_sec "${produce_before[@]}")
    local share="?"
    numeric "$i" && numeric "$one" && share=$(printf '%.0f%%' "$(calc "100 * $i / $one")")
    emit_row scale-produce "scale: produce 100 B ×1000 with $shown topics" rec/s "$i" "" "" \
        "≥ 90% of 1 topic, $(show "$one" rec/s) (is $share)" "$(verdict "$i >= 0.9 * $one" "$i" "$one")"
}

# --- The run ---------------------------------------------------------------------------------

# key, title (what --only matches), and the function with its arguments, in the order they run:
# memory first, while the servers are fresh; scale last, with a daemon of its own.
workloads=(
    "memory|RSS idle and with idle connections|workload_memory"
    "consume-100|catch-up consume 100 B|workload_consume_100"
    "consume-64k|catch-up consume 64 KiB|workload_consume_64k"
    "produce-write|produce batches ack write|workload_produce_write"
    "produce-fsync8|produce 8 producers ack fsync|workload_produce_fsync8"
    "e2e-1000|e2e latency 1000/s|workload_e2e 1000 $n_e2e_slow"
    "e2e-100000|e2e latency 100000/s|workload_e2e 100000 $n_e2e_fast"
    "rtt-fsync|ack-fsync produce round trip|workload_rtt_fsync"
    "rtt-write|synchronous produce round trip|workload_rtt_write"
    "fanout|fan-out 64 subscribers|workload_fanout"
    "group|group managed delivery|workload_group"
    "scale|scale topics groups start-up|workload_scale"
)

[[ -n $json_file ]] && : >"$json_file"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
start_servers
idle_immuta=$(rss_mib "$main_immutad_pid") idle_redis=$(rss_mib "$redis_pid") idle_nats=$(rss_mib "$nats_pid")
machine_limits
for entry in "${workloads[@]}"; do
    IFS='|' read -r key title call <<<"$entry"
    wanted "$key" "$title" || continue
    read -r -a call_words <<<"$call"
    "${call_words[@]}"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(sed -nE 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n 1)
echo
echo "Immuta against Redis Streams and NATS JetStream — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) × ${cpu:-unknown CPU}, Linux $(uname -r)"
echo "immutad $(git describe --always --dirty 2>/dev/null || echo '?') (release), $(redis-server --version | cut -d' ' -f1-3), nats-server $(nats-server --version | sed 's/.*v//'), hiredis $(pkg-config --modversion hiredis), libnats $(pkg-config --modversion libnats)"
echo "load average at the start $load_start, at the end $load_end; $runs run(s) per throughput row (median)$( ((quick)) && echo ', --quick counts')"
echo "machine: Unix socket $(show "$raw_bw" MB/s) (64 KiB writes); 64-byte ping-pong RTT p50 $(show "$raw_pp50" µs), p99 $(show "$raw_pp99" µs); fdatasync of a 108-byte append p50 $(show "$raw_sync50" µs) ($(df --output=fstype "$work" | tail -n 1) under $(dirname "$work"))"
echo
print_table
echo
echo "Immuta and Redis are reached over Unix sockets; NATS has no Unix-socket listener, so its clients use TCP on 127.0.0.1."
echo "Ack write: Immuta topic durability none, Redis appendonly with appendfsync everysec, NATS JetStream file store: each acknowledges once the record is written to the page cache."
echo "† NATS 2.9 acknowledges a JetStream publish once the message is written to its block file, and fsyncs the files every 2 minutes (sync_interval arrived in 2.10): in the ack-fsync rows its figures are at ack-write durability."
echo "Ack fsync: Immuta fdatasyncs before answering (concurrent producers share a flush); Redis appendfsync always fsyncs the AOF once per event-loop round, before answering that round's commands."
echo "8 producers: Immuta, 8 immutactl processes (records over the longest run); Redis and NATS, 8 connections of one client process."
echo "e2e: one record per produce at a fixed rate, up to $e2e_window in flight, latency from each record's due time (no coordinated omission); the receiver is another process."
for line in "${notes[@]}"; do echo "$line"; done
if [[ -s $work/errors.log ]]; then
    echo
    echo "Problems during the run (the cells they concern show 'failed'):"
    sed 's/^/  /' "$work/errors.log"
fi
