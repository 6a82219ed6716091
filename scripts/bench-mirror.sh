#!/usr/bin/env bash
# The mirror benchmark: how fast immutad copies a topic into a NATS JetStream stream, and how far
# the stream lags behind the local log. The 3-node cluster runs on the same machine as immutad.
#
#   scripts/bench-mirror.sh                     both scenarios, about 2 minutes on 2 cores
#   scripts/bench-mirror.sh --quick             5 s steady and a backlog of 100,000: to try it out
#   scripts/bench-mirror.sh --json FILE         also each scenario's figures as one JSON line
#   --only steady|flat|baseline  one scenario (flat runs the baseline too)
#   --bin DIR   immutad and immutactl (default .build/release)
#   --rate N (10000)  --seconds N (30)  --backlog N (1000000)  --size BYTES (100)
#
# steady: immutad mirrors topic `bench` while immuta_rate_produce appends RATE records/s of SIZE
#   bytes for SECONDS (after one untimed second at that rate, once the stream holds it, so that
#   connecting and creating the stream are not in the figures); nats_mirror_lag reads the stream
#   as it fills and measures the arrival rate and each record's lag, from its append in immutad
#   to its arrival from the stream.
# flat: BACKLOG records are appended with no mirror configured; then immutad restarts with the
#   mirror, which copies them as fast as it can. The rate is the stream's own: messages over the
#   time between its first and last message (/jsz?streams=true on the stream leader, polled every
#   50 ms until it holds them all). Then the whole stream is read back to check its order.
# baseline: on a fresh cluster, a NATS client alone publishes BACKLOG records asynchronously with
#   the mirror's window of 256 into a stream with 3 replicas: the cluster's own rate on this
#   machine, which bounds the flat-out mirror.
#
# Each scenario gets a new 3-node nats-server cluster (JetStream, streams with 3 replicas) on free
# 127.0.0.1 ports and a new immutad, in one temporary directory ($TMPDIR or /tmp). Everything it
# starts is stopped by its pid and the directory removed when it ends, also on Ctrl-C. It installs
# what is missing (Debian's nats-server, libnats-dev, gcc, pkg-config, python3) and builds the C
# peers of scripts/bench-peers; it does not build immutad (swift build -c release).
set -euo pipefail
export LC_ALL=C.UTF-8   # '.' as the decimal point
caller_dir=$PWD
cd "$(dirname "$0")/.."

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; }
fail_usage() { echo "bench-mirror: $*" >&2; exit 64; }
whole_number() { if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 == 0)); then fail_usage "$1 wants a whole number above 0, got '$2'"; fi; }

rate=10000 seconds=30 backlog=1000000 size=100 only="" json_file="" bin=$PWD/.build/release
while (($#)); do
    case $1 in
    --quick) seconds=5 backlog=100000 ;;
    --rate | --seconds | --backlog | --size)
        [[ $# -ge 2 ]] || fail_usage "$1 needs a number"
        whole_number "$1" "$2"
        declare "${1#--}=$2"
        shift ;;
    --only)
        [[ $# -ge 2 && ($2 == steady || $2 == flat || $2 == baseline) ]] || fail_usage "--only takes steady, flat or baseline"
        only=$2
        shift ;;
    --bin)
        [[ $# -ge 2 ]] || fail_usage "--bin needs a directory"
        bin=$2
        [[ $bin == /* ]] || bin=$caller_dir/$bin
        shift ;;
    --json)
        [[ $# -ge 2 ]] || fail_usage "--json needs a file name"
        json_file=$2
        [[ $json_file == /* ]] || json_file=$caller_dir/$json_file
        shift ;;
    -h | --help) usage; exit 0 ;;
    *) fail_usage "unknown argument '$1' (--quick, --only steady|flat, --rate N, --seconds N, --backlog N, --size N, --bin DIR, --json FILE)" ;;
    esac
    shift
done
((size >= 8)) || fail_usage "--size wants at least 8 bytes"
for tool in immutad immutactl; do
    [[ -x $bin/$tool ]] || { echo "bench-mirror: no $tool in $bin: build it with 'swift build -c release', or name its directory with --bin" >&2; exit 1; }
done
ctl=$bin/immutactl

log() { printf '[bench-mirror %s] %s\n' "$(date +%T)" "$*" >&2; }

install_missing() {
    local needed=() pkg sudo_cmd=()
    for pkg in nats-server libnats-dev gcc pkg-config python3; do
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
    local status=$? pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if ((status != 0)) && [[ -n $work && -d $work ]]; then
        local file
        for file in "$work"/*/immutad.log "$work"/*/errors.log; do
            [[ -s $file ]] && { echo "--- last lines of ${file#"$work"/}" >&2; tail -n 15 "$file" >&2; }
        done
    fi
    [[ -n $work ]] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_missing
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)  # /usr/sbin is not on every PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-mirror.XXXXXX")
peers=$work/peers
mkdir -p "$peers"
log "building the peer clients into $peers"
for name in nats_mirror_lag immuta_rate_produce immuta_admin nats_produce; do
    # shellcheck disable=SC2046  # pkg-config prints several words on purpose
    gcc -O2 -Wall -o "$peers/$name" "scripts/bench-peers/$name.c" $(pkg-config --cflags --libs libnats) -lpthread
done

# --- Small helpers ---------------------------------------------------------------------------

# The number after "NAME": in a flat JSON object (what the peers print).
jfield() { sed -nE "s/.*\"$2\":(-?[0-9][0-9.eE+-]*).*/\1/p" <<<"$1"; }
calc() { awk "BEGIN { printf \"%.6f\", ($*) }"; }
group_digits() { sed -E ':a;s/^(-?[0-9]+)([0-9]{3})/\1,\2/;ta' <<<"$1"; }
numeric() { [[ $1 =~ ^-?[0-9.]+([eE][-+]?[0-9]+)?$ ]]; }
# CPU time (user + system) of the processes given, in clock ticks.
cpu_ticks() {
    local pid total=0
    for pid in "$@"; do
        total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$total"
}
# CPU use between two cpu_ticks readings over SECONDS, in % of one core.
cpu_percent() { calc "100 * ($2 - $1) / $(getconf CLK_TCK) / $3"; }

started=""
start_bg() {
    "$@" &
    started=$!
    pids+=("$started")
}
# Waits for a process start_bg started and forgets it; returns its exit status.
reap() {
    local pid=$1 status=0 kept=() other
    wait "$pid" || status=$?
    for other in "${pids[@]}"; do [[ $other == "$pid" ]] || kept+=("$other"); done
    pids=("${kept[@]}")
    return "$status"
}
stop_pid() {
    local pid=$1 kept=() other
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for other in "${pids[@]}"; do [[ $other == "$pid" ]] || kept+=("$other"); done
    pids=("${kept[@]}")
}

# What reads /jsz: one stream's state on every node, and the wait for a stream to fill.
cat >"$work/jsz.py" <<'PYTHON'
"""jsz.py state STREAM MONITOR... | jsz.py fill STREAM TARGET TIMEOUT_S MONITOR...

state: one JSON line per node, that node's replica of STREAM (null when it has none).
fill:  polls the stream leader's /jsz every 50 ms until STREAM holds TARGET messages; prints when
       (time.time()) it first held one and when it held them all, and the stream's first and last
       message times."""
import json, sys, time, urllib.request
from datetime import datetime

def line(value):
    print(json.dumps(value, separators=(",", ":")))   # compact, as the peers print (jfield reads it)

def replica(monitor, stream):
    with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/jsz?streams=true", timeout=5) as answer:
        info = json.load(answer)
    for account in info.get("account_details") or []:
        for detail in account.get("stream_detail") or []:
            if detail["name"] == stream:
                return detail
    return None

def epoch(stamp):
    # nats-server writes RFC 3339 with up to 9 fractional digits; Python parses at most 6.
    day, _, rest = stamp.rstrip("Z").partition("T")
    clock, _, fraction = rest.partition(".")
    whole = datetime.fromisoformat(f"{day}T{clock}+00:00").timestamp()
    return whole + (float("0." + fraction) if fraction else 0.0)

command, stream = sys.argv[1], sys.argv[2]
if command == "state":
    for node, monitor in enumerate(sys.argv[3:], 1):
        detail = replica(monitor, stream)
        state = detail and detail["state"]
        line({"node": f"n{node}", "leader": detail and detail.get("cluster", {}).get("leader"),
              "messages": state and state["messages"], "first_seq": state and state["first_seq"],
              "last_seq": state and state["last_seq"]})
    sys.exit(0)

target, timeout, monitors = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]
deadline, watched, first_seen, detail = time.time() + timeout, monitors[0], None, None
while time.time() < deadline:
    try:
        detail = replica(watched, stream)
    except OSError:
        detail = None
    now = time.time()
    if detail:
        leader = detail.get("cluster", {}).get("leader") or ""
        if leader.startswith("n") and leader[1:].isdigit() and monitors[int(leader[1:]) - 1] != watched:
            watched = monitors[int(leader[1:]) - 1]   # the leader's count is the acknowledged one
            continue
        messages = detail["state"]["messages"]
        if messages and first_seen is None:
            first_seen = now
        if messages >= target:
            state = detail["state"]
            line({"messages": messages, "first_seen": first_seen, "filled": now,
                  "first_seq": state["first_seq"], "last_seq": state["last_seq"],
                  "first_ts": epoch(state["first_ts"]), "last_ts": epoch(state["last_ts"])})
            sys.exit(0)
    time.sleep(0.05)
held = detail["state"]["messages"] if detail else 0
print(f"jsz.py: {stream} held {held} of {target} messages after {timeout:.0f} s", file=sys.stderr)
sys.exit(1)
PYTHON
jsz() { python3 "$work/jsz.py" "$@"; }

# --- The cluster and immutad -----------------------------------------------------------------

host_id=bench-host topic=bench
stream="IMMUTA_${host_id}_${topic}"
node_pids=() monitors=() client_urls=()
# Starts 3 JetStream nodes in DIR on nine free loopback ports (client, route, monitor each),
# routed to each other, and waits until each knows the meta leader.
cluster_start() {
    local dir=$1 ports routes="" i n
    read -r -a ports < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(9)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])
for s in sockets: s.close()')
    for i in 0 1 2; do routes+="        nats-route://127.0.0.1:${ports[3 + i]}"$'\n'; done
    node_pids=() monitors=() client_urls=()
    for i in 0 1 2; do
        n=$((i + 1))
        mkdir -p "$dir/n$n"
        cat >"$dir/n$n.conf" <<CONF
server_name: n$n
listen: 127.0.0.1:${ports[i]}
http: 127.0.0.1:${ports[6 + i]}
jetstream { store_dir: "$dir/n$n", max_memory_store: 64MB, max_file_store: 8GB }
cluster {
    name: bench-mirror
    listen: 127.0.0.1:${ports[3 + i]}
    routes: [
$routes    ]
}
CONF
        start_bg "$nats_server" -c "$dir/n$n.conf" -l "$dir/n$n.log"
        node_pids+=("$started")
        monitors+=("${ports[6 + i]}")
        client_urls+=("nats://127.0.0.1:${ports[i]}")
    done
    local deadline=$((SECONDS + 30)) monitor
    for monitor in "${monitors[@]}"; do
        # js-server-only: the node has JetStream and knows the meta leader (docs/... research §4).
        until python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$monitor/healthz?js-server-only=true', timeout=1)" 2>/dev/null; do
            if ((SECONDS >= deadline)); then
                log "the NATS cluster was not ready within 30 s; the end of its logs:"
                tail -n 5 "$dir"/n?.log >&2
                exit 1
            fi
            sleep 0.1
        done
    done
}
cluster_stop() {
    local pid
    for pid in "${node_pids[@]}"; do stop_pid "$pid"; done
    node_pids=()
}

# immutad's configuration: the plain one, or with the mirror of topic `bench` into the cluster.
write_config() {
    local file=$1 mirror=$2 servers
    servers=$(printf '"%s", ' "${client_urls[@]}")
    {
        echo "log_level: warning"
        if ((mirror)); then
            echo "host_id: $host_id"
            echo "mirrors:"
            echo "  - name: bench"
            echo "    topics: [\"$topic\"]"
            echo "    servers: [${servers%, }]"
            echo "    replicas: 3"
            echo "    window: 256"
        fi
    } >"$file"
}

immutad_pid=""
# Starts immutad with CONFIG on DIR's data directory and socket; returns once it answers HELLO.
immutad_start() {
    local dir=$1 config=$2 deadline=$((SECONDS + 30))
    start_bg "$bin/immutad" --config "$config" --data-dir "$dir/data" --socket "$dir/immuta.sock" 2>>"$dir/immutad.log"
    immutad_pid=$started
    until "$peers/immuta_admin" wait "$dir/immuta.sock" 200 2>/dev/null; do
        kill -0 "$immutad_pid" 2>/dev/null || { log "immutad stopped at start-up (its log follows)"; exit 1; }
        ((SECONDS < deadline)) || { log "immutad did not answer HELLO within 30 s"; exit 1; }
    done
}
immutad_stop() { stop_pid "$immutad_pid"; immutad_pid=""; }

# The mirror's own account of itself, compacted to one line, or null.
mirror_status() {
    IMMUTA_SOCKET=$1/immuta.sock "$ctl" mirror list --json 2>>"$1/immutad.log" |
        python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))' 2>/dev/null || echo null
}
# What the mirror says of itself, for the notes under the table: its state, records published,
# duplicates, rewinds and last error (`immutactl mirror list --json`, one object per topic).
mirror_note() {
    python3 -c '
import json, sys
links = [l for l in (json.loads(sys.argv[1]) or []) if l.get("kind") == "mirror"]
for l in links:
    error = l.get("last_error") or "none"
    print("mirror {name}/{topic} {state}: {records} published, {duplicates} duplicates, {rewinds} rewinds, last error ".format(**l) + error)
if not links:
    print("immutactl mirror list showed no mirror")' "$1" 2>/dev/null || echo "immutactl mirror list gave nothing readable"
}
# Every replica's state as a JSON array, and a note saying whether they agree. Followers may
# trail the leader for a moment, so they get 10 s to agree.
replicas_json="" replicas_note=""
check_replicas() {
    local lines deadline=$((SECONDS + 10))
    while :; do
        lines=$(jsz state "$stream" "${monitors[@]}")
        if (($(sed -E 's/"node":"n[0-9]","leader":("[^"]*"|null),//' <<<"$lines" | sort -u | wc -l) == 1)); then
            replicas_note="the 3 replicas agree"
            break
        fi
        ((SECONDS < deadline)) || { replicas_note="the replicas differ: $(tr '\n' ' ' <<<"$lines")"; break; }
        sleep 0.2
    done
    replicas_json="[$(paste -sd, <<<"$lines")]"
}

# --- Scenarios -------------------------------------------------------------------------------

rows=() notes=() failures=0
row() { rows+=("$1"); }
show_ms() { numeric "$1" && printf '%.1f ms' "$1" || echo "—"; }
show_rate() { numeric "$1" && echo "$(group_digits "$(printf '%.0f' "$1")") rec/s" || echo "failed"; }

scenario_steady() {
    local dir=$work/steady records=$((rate * seconds))
    log "steady: $(group_digits "$rate") records/s of $size B for $seconds s ($(group_digits "$records") records)"
    mkdir -p "$dir"
    cluster_start "$dir"
    # The topic exists before the mirror starts, as when a mirror is added to a topic in use.
    write_config "$dir/plain.conf" 0
    immutad_start "$dir" "$dir/plain.conf"
    IMMUTA_SOCKET=$dir/immuta.sock "$ctl" topic create "$topic" --durability none >/dev/null
    immutad_stop
    write_config "$dir/mirror.conf" 1
    immutad_start "$dir" "$dir/mirror.conf"
    # A warm-up second: the mirror has connected and the stream exists and has taken records
    # before the measured ones (the reader only sees records published after it subscribed).
    "$peers/immuta_rate_produce" -s "$dir/immuta.sock" -t "$topic" -r "$rate" -n "$rate" -d "$size" >/dev/null 2>>"$dir/errors.log" ||
        { log "the warm-up producer failed: $(cat "$dir/errors.log")"; exit 1; }
    jsz fill "$stream" "$rate" 60 "${monitors[@]}" >/dev/null 2>>"$dir/errors.log" ||
        { log "the mirror did not copy the warm-up records: $(cat "$dir/errors.log")"; exit 1; }

    start_bg "$peers/nats_mirror_lag" -u "$(IFS=,; echo "${client_urls[*]}")" -S "$stream" -n "$records" \
        -r "$dir/ready" -f 30000 -i 15000 >"$dir/lag.json" 2>>"$dir/errors.log"
    local reader=$started
    until [[ -e $dir/ready ]]; do
        kill -0 "$reader" 2>/dev/null || { log "nats_mirror_lag failed: $(cat "$dir/errors.log")"; exit 1; }
        sleep 0.05
    done
    local cpu_immutad cpu_nats begin=$SECONDS
    cpu_immutad=$(cpu_ticks "$immutad_pid") cpu_nats=$(cpu_ticks "${node_pids[@]}")
    local wall_start wall_end produced
    wall_start=$(date +%s.%N)
    produced=$("$peers/immuta_rate_produce" -s "$dir/immuta.sock" -t "$topic" -r "$rate" -n "$records" -d "$size" 2>>"$dir/errors.log") ||
        { log "the producer failed: $(cat "$dir/errors.log")"; exit 1; }
    local reader_status=0
    reap "$reader" || reader_status=$?
    wall_end=$(date +%s.%N)
    local wall cpu_i cpu_n
    wall=$(calc "$wall_end - $wall_start")
    cpu_i=$(cpu_percent "$cpu_immutad" "$(cpu_ticks "$immutad_pid")" "$wall")
    cpu_n=$(cpu_percent "$cpu_nats" "$(cpu_ticks "${node_pids[@]}")" "$wall")
    ((reader_status <= 2)) || { log "nats_mirror_lag failed: $(cat "$dir/errors.log")"; exit 1; }
    local lag mirror
    lag=$(tail -n 1 "$dir/lag.json")
    mirror=$(mirror_status "$dir")
    check_replicas
    immutad_stop
    cluster_stop

    local got errors
    got=$(jfield "$lag" records) errors=$(jfield "$lag" order_errors)
    if [[ $got != "$records" || $errors != 0 || $(jfield "$lag" bad_headers) != 0 ]]; then
        notes+=("steady: the reader got $got of $records records, $errors order errors, $(jfield "$lag" bad_headers) without headers (after $((SECONDS - begin)) s).")
        failures=$((failures + 1))
    fi
    notes+=("steady: producer $(show_rate "$(jfield "$produced" records_per_sec)") in batches of up to $(jfield "$produced" largest_batch); $replicas_note; $(mirror_note "$mirror").")
    row "steady $(group_digits "$rate")/s, $size B, $seconds s|$(group_digits "$got")|$(show_rate "$(jfield "$lag" records_per_sec)")|$(show_ms "$(jfield "$lag" lag_p50_ms)")|$(show_ms "$(jfield "$lag" lag_p90_ms)")|$(show_ms "$(jfield "$lag" lag_p99_ms)")|$(show_ms "$(jfield "$lag" lag_max_ms)")|$errors|$(printf '%.0f%%' "$cpu_i")|$(printf '%.0f%%' "$cpu_n")"
    [[ -n $json_file ]] && printf '{"scenario":"steady","rate":%s,"seconds":%s,"size":%s,"records":%s,"producer":%s,"reader":%s,"immutad_cpu_percent":%s,"nats_cpu_percent":%s,"mirror":%s,"replicas":%s}\n' \
        "$rate" "$seconds" "$size" "$records" "$produced" "$lag" "$cpu_i" "$cpu_n" "$mirror" "$replicas_json" >>"$json_file"
    return 0
}

scenario_flat() {
    local dir=$work/flat
    log "flat out: a backlog of $(group_digits "$backlog") records of $size B, then the mirror"
    mkdir -p "$dir"
    cluster_start "$dir"
    write_config "$dir/plain.conf" 0
    immutad_start "$dir" "$dir/plain.conf"
    IMMUTA_SOCKET=$dir/immuta.sock "$ctl" bench produce --topic "$topic" --size "$size" --count "$backlog" --keep --json >/dev/null
    immutad_stop

    # Generous: a tenth of the slowest rate worth reporting.
    local timeout=$((backlog / 100 + 60)) cpu_immutad cpu_nats wall_start
    start_bg python3 "$work/jsz.py" fill "$stream" "$backlog" "$timeout" "${monitors[@]}" >"$dir/fill.json" 2>>"$dir/errors.log"
    local poller=$started
    write_config "$dir/mirror.conf" 1
    wall_start=$(date +%s.%N)
    cpu_nats=$(cpu_ticks "${node_pids[@]}")
    immutad_start "$dir" "$dir/mirror.conf"
    cpu_immutad=$(cpu_ticks "$immutad_pid")
    reap "$poller" || { log "the stream did not fill: $(cat "$dir/errors.log")"; exit 1; }
    local fill wall cpu_i cpu_n
    fill=$(cat "$dir/fill.json")
    wall=$(calc "$(jfield "$fill" filled) - $wall_start")
    cpu_i=$(cpu_percent "$cpu_immutad" "$(cpu_ticks "$immutad_pid")" "$wall")
    cpu_n=$(cpu_percent "$cpu_nats" "$(cpu_ticks "${node_pids[@]}")" "$wall")
    local mirror
    mirror=$(mirror_status "$dir")
    immutad_stop   # the read-back below measures the stream alone
    log "flat out: reading the stream back to check its order"
    local readback reader_status=0
    readback=$("$peers/nats_mirror_lag" -u "$(IFS=,; echo "${client_urls[*]}")" -S "$stream" -a -n "$backlog" -f 10000 -i 15000 2>>"$dir/errors.log") ||
        reader_status=$?
    ((reader_status <= 2)) || { log "the read-back failed: $(cat "$dir/errors.log")"; exit 1; }
    check_replicas
    cluster_stop

    local span rate_stream drain got errors
    span=$(calc "$(jfield "$fill" last_ts) - $(jfield "$fill" first_ts)")
    rate_stream=$(calc "($(jfield "$fill" last_seq) - $(jfield "$fill" first_seq)) / $span")
    drain=$(calc "$(jfield "$fill" filled) - $wall_start")
    got=$(jfield "$readback" records) errors=$(jfield "$readback" order_errors)
    if [[ $got != "$backlog" || $errors != 0 || $(jfield "$readback" bad_headers) != 0 ]]; then
        notes+=("flat out: the read-back got $got of $backlog records, $errors order errors, $(jfield "$readback" bad_headers) without headers.")
        failures=$((failures + 1))
    fi
    notes+=("flat out: the whole backlog was in the stream $(printf '%.1f' "$drain") s after immutad was started with the mirror ($(printf '%.1f' "$(calc "$(jfield "$fill" first_seen) - $wall_start")") s to the first message seen); $replicas_note; $(mirror_note "$mirror").")
    row "flat out, backlog of $(group_digits "$backlog") × $size B|$(group_digits "$got")|$(show_rate "$rate_stream")|—|—|—|—|$errors|$(printf '%.0f%%' "$cpu_i")|$(printf '%.0f%%' "$cpu_n")"
    [[ -n $json_file ]] && printf '{"scenario":"flat","size":%s,"records":%s,"records_per_sec":%s,"stream_seconds":%s,"drain_seconds":%s,"fill":%s,"readback":%s,"immutad_cpu_percent":%s,"nats_cpu_percent":%s,"mirror":%s,"replicas":%s}\n' \
        "$size" "$backlog" "$rate_stream" "$span" "$drain" "$fill" "$readback" "$cpu_i" "$cpu_n" "$mirror" "$replicas_json" >>"$json_file"
    return 0
}

# The baseline, in the same run: the cluster's own rate for one publisher with the mirror's window
# (nats_produce: async publishes, 256 unacknowledged, into a stream with 3 replicas), what the
# flat-out mirror is compared with.
scenario_baseline() {
    local dir=$work/baseline
    log "baseline: $(group_digits "$backlog") records of $size B published by a NATS client alone, window 256"
    mkdir -p "$dir"
    cluster_start "$dir"
    local result cpu_nats wall_start wall
    wall_start=$(date +%s.%N)
    cpu_nats=$(cpu_ticks "${node_pids[@]}")
    result=$("$peers/nats_produce" -u "${client_urls[0]}" -S BASELINE -n "$backlog" -d "$size" -w 256 -r 3 2>>"$dir/errors.log") ||
        { log "the baseline publisher failed: $(cat "$dir/errors.log")"; exit 1; }
    wall=$(calc "$(date +%s.%N) - $wall_start")
    local cpu_n
    cpu_n=$(cpu_percent "$cpu_nats" "$(cpu_ticks "${node_pids[@]}")" "$wall")
    cluster_stop
    row "baseline: a NATS client publishing $(group_digits "$backlog") × $size B|$(group_digits "$backlog")|$(show_rate "$(jfield "$result" records_per_sec)")|—|—|—|—|—|—|$(printf '%.0f%%' "$cpu_n")"
    [[ -n $json_file ]] && printf '{"scenario":"baseline","size":%s,"records":%s,"publisher":%s,"nats_cpu_percent":%s}\n' \
        "$size" "$backlog" "$result" "$cpu_n" >>"$json_file"
    return 0
}

# --- The run ---------------------------------------------------------------------------------

[[ -n $json_file ]] && : >"$json_file"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
[[ -z $only || $only == steady ]] && scenario_steady
[[ -z $only || $only == flat ]] && scenario_flat
[[ -z $only || $only == flat || $only == baseline ]] && scenario_baseline
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(sed -nE 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n 1)
echo
echo "Mirror into NATS JetStream — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) × ${cpu:-unknown CPU}, Linux $(uname -r)"
echo "immutad $(git describe --always --dirty 2>/dev/null || echo '?') ($bin), nats-server $("$nats_server" --version | sed 's/.*v//'), libnats $(pkg-config --modversion libnats)"
echo "3 nats-server nodes on this machine (loopback TCP), stream with 3 replicas, file storage; mirror window 256"
echo "load average at the start $load_start, at the end $load_end"
echo
header="scenario|records|records/s|lag p50|lag p90|lag p99|lag max|order errors|immutad CPU|nats-server CPU"
widths=()
for line in "$header" "${rows[@]}"; do
    IFS='|' read -r -a cells <<<"$line"
    for i in "${!cells[@]}"; do ((${#cells[i]} > ${widths[i]:-0})) && widths[i]=${#cells[i]}; done
done
for line in "$header" "--" "${rows[@]}"; do
    IFS='|' read -r -a cells <<<"$line"
    printf '|'
    for i in "${!widths[@]}"; do
        cell=${cells[i]:-}
        if [[ $line == "--" ]]; then
            cell=$(printf '%*s' "${widths[i]}" '' | tr ' ' '-')
            ((i >= 1)) && cell=${cell%-}:
            printf ' %s |' "$cell"
        elif ((i == 0)); then
            printf ' %s%*s |' "$cell" $((widths[i] - ${#cell})) ''
        else
            printf ' %*s%s |' $((widths[i] - ${#cell})) '' "$cell"
        fi
    done
    printf '\n'
done
echo
echo "Lag: from a record's append in immutad (its Immuta-Timestamp) to its arrival at an ordered push consumer of the stream; records/s: arrivals from the first to the last (steady), or the stream's messages over the time from its first to its last (flat out)."
echo "CPU: % of one core while the scenario ran (immutad includes its mirror; nats-server is the sum of the 3 nodes)."
for line in "${notes[@]}"; do echo "$line"; done
((failures == 0)) || { echo "bench-mirror: $failures scenario(s) lost, duplicated or reordered records" >&2; exit 1; }
