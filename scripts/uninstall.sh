#!/usr/bin/env bash
# Removes what scripts/install.sh installed, with the same PREFIX and DESTDIR.
#
# Kept on purpose: /var/lib/immuta (the data), the immuta user and group (they own that data), and
# /etc/immuta/immuta.conf when it differs from the shipped default (it holds the operator's changes).
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
source_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

[[ $PREFIX == /* ]] || { echo "uninstall.sh: PREFIX must be an absolute path, not '$PREFIX'" >&2; exit 1; }

if [[ -z $DESTDIR && -d /run/systemd/system ]]; then
    systemctl disable --now immuta.socket immuta.service 2>/dev/null || true
fi

rm -f "$DESTDIR$PREFIX/bin/immutad" "$DESTDIR$PREFIX/bin/immutactl" \
    "$DESTDIR/etc/systemd/system/immuta.service" "$DESTDIR/etc/systemd/system/immuta.socket" \
    "$DESTDIR/etc/sysusers.d/immuta.conf"
rm -rf "$DESTDIR$PREFIX/share/doc/immuta"
rm -f "$DESTDIR$PREFIX/share/man/man1/immutactl.1" "$DESTDIR$PREFIX/share/man/man8/immutad.8" \
    "$DESTDIR$PREFIX/share/bash-completion/completions/immutactl" "$DESTDIR$PREFIX/share/zsh/site-functions/_immutactl" \
    "$DESTDIR$PREFIX/share/fish/vendor_completions.d/immutactl.fish"
if [[ $PREFIX == /usr ]]; then rm -f "$DESTDIR/usr/share/zsh/vendor-completions/_immutactl"; fi

config=$DESTDIR/etc/immuta/immuta.conf
if [[ -e $config ]]; then
    if [[ -f $source_root/etc/immuta.conf ]] && cmp -s "$config" "$source_root/etc/immuta.conf"; then
        rm -f "$config"
        rmdir "$DESTDIR/etc/immuta" 2>/dev/null || true
    else
        echo "uninstall.sh: keeping $config, which differs from the shipped default"
    fi
fi

if [[ -z $DESTDIR && -d /run/systemd/system ]]; then
    systemctl daemon-reload
fi
echo "uninstalled; kept $DESTDIR/var/lib/immuta and the immuta user and group"
