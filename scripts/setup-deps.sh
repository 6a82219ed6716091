#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, skipping what is already there.
set -euo pipefail
needed=()
# strace: GroupDirectorySyncTests watches the daemon's directory fsyncs; python3: the crash checker's
# launcher; util-linux: setpriv, which ties test daemons to the test runner's life and runs
# clients as other users; passwd: useradd, for the users of the access-control tests;
# libnats-dev and nats-server: the NATS C client mirrors link, and the JetStream cluster their
# tests run against.
for pkg in libsystemd-dev pkg-config systemd strace python3 util-linux passwd libnats-dev nats-server; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || needed+=("$pkg")
done
if ((${#needed[@]})); then
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    echo "installing: ${needed[*]}" >&2
    "${sudo_cmd[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${needed[@]}"
fi
