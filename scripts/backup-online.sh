#!/usr/bin/env bash
# Copies the data directory of a RUNNING immutad to a new directory that opens cleanly and holds
# every record acknowledged before the copy began. Then it checks the copy: a throwaway immutad
# opens it (cutting the tail each log's newest segment may have been copied with, and refusing
# anything else) and `immutactl verify` must find no problem.
#
#   scripts/backup-online.sh DATA_DIR DEST_DIR
#
# DEST_DIR must not exist. immutad and immutactl are taken from $IMMUTAD and $IMMUTACTL, else PATH.
#
# Why not cp -a: a segment is append-only only until it rolls. A plain copy can read the active
# segment part-way, after which the daemon seals it and starts the next one, which the copy also
# takes: the copy then holds a torn segment followed by another, which recovery rightly refuses
# as damage. So each log directory is listed once, its segments are copied oldest first, and
# segments created after the listing are left out: only the newest one copied can be partial.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 DATA_DIR DEST_DIR" >&2
    exit 64
fi
src=${1%/}
dest=${2%/}
immutad=${IMMUTAD:-immutad}
immutactl=${IMMUTACTL:-immutactl}
[[ -d $src/topics ]] || { echo "backup: $src has no topics/ directory: not an immutad data directory" >&2; exit 1; }
[[ ! -e $dest ]] || { echo "backup: $dest exists; give a new directory" >&2; exit 1; }

# Copies one directory (not its subdirectories): other files as they are, then the segment pairs
# (NNNN.idx + NNNN.log) that existed at the listing, oldest first, each index before its data.
copy_directory() {
    local from=$1 to=$2 name
    local -a segments=()
    mkdir -p "$to"
    while IFS= read -r name; do
        case $name in
            immutad.lock) ;;  # the daemon's lock: the copy gets its own when opened
            *.log) [[ -e $from/${name%.log}.idx ]] && segments+=("${name%.log}") ;;
            *.idx) ;;
            *) cp -p -- "$from/$name" "$to/$name" ;;
        esac
    done < <(find "$from" -mindepth 1 -maxdepth 1 -type f -printf '%f\n' | sort)
    # Names are zero-padded offsets: sorted as text they are oldest first.
    for name in "${segments[@]}"; do
        cp -p -- "$from/$name.idx" "$to/$name.idx"
        cp -p -- "$from/$name.log" "$to/$name.log"
    done
}

# Every directory of a tree, parents first, leaving out hidden ones (topics being created or deleted).
copy_tree() {
    local root=$1 directory
    [[ -d $src/$root ]] || return 0
    while IFS= read -r directory; do
        copy_directory "$src/$directory" "$dest/$directory"
    done < <(cd "$src" && find "$root" -type d -not -path '*/.*' | sort)
}

mkdir -p "$dest"
for file in "$src"/*; do [[ -f $file && ${file##*/} != immutad.lock ]] && cp -p -- "$file" "$dest/"; done
# Topics before groups: a group's committed offset is then never ahead of its copied topic.
copy_tree topics
copy_tree groups

# The check. The socket goes in a directory of its own: socket paths are limited to 107 bytes.
check=$(mktemp -d /tmp/immuta-backup-check.XXXXXX)
trap 'rm -rf "$check"' EXIT
# Not systemd's: a backup run from a unit must not have the throwaway daemon notify or log as it.
env -u NOTIFY_SOCKET -u LISTEN_FDS -u LISTEN_PID -u LISTEN_FDNAMES -u WATCHDOG_USEC -u WATCHDOG_PID -u JOURNAL_STREAM \
    "$immutad" --data-dir "$dest" --socket "$check/s" 2>"$check/log" &
pid=$!
for ((i = 0; i < 600; i++)); do
    if "$immutactl" topic list --socket "$check/s" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "backup: immutad refused the copy in $dest:" >&2
        cat "$check/log" >&2
        exit 1
    fi
    sleep 0.1
done
kill -TERM "$pid"
if ! wait "$pid" || ((i == 600)); then
    echo "backup: immutad did not open and close the copy in $dest cleanly:" >&2
    cat "$check/log" >&2
    exit 1
fi
grep -h "repair\|dropped\|cut" "$check/log" >&2 || true
"$immutactl" verify --data-dir "$dest" >/dev/null
echo "backup: $dest verified"
