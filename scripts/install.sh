#!/usr/bin/env bash
# Installs immutad and immutactl with their systemd units, sysusers entry and default configuration.
#
#   scripts/install.sh                       # build in release mode, install under /usr/local
#   PREFIX=/opt/immuta scripts/install.sh    # binaries in /opt/immuta/bin
#   DESTDIR=/tmp/pkg scripts/install.sh      # stage into a tree, e.g. for a package; nothing is started
#
# Variables:
#   PREFIX          where bin/ and share/doc/immuta go (default /usr/local)
#   DESTDIR         a staging root prepended to every path (default: none, install for real)
#   BUILD_BIN_DIR   take immutad and immutactl from this directory instead of running `swift build -c release`
#
# What goes where. Units and the sysusers entry go under /etc whatever PREFIX is, because systemd reads
# /etc/systemd/system and /etc/sysusers.d always, while PREFIX/lib/systemd/system is on its search path only
# for PREFIX=/usr/local:
#   $PREFIX/bin/immutad, $PREFIX/bin/immutactl
#   /etc/systemd/system/immuta.service   (ExecStart= and Documentation= rewritten to PREFIX)
#   /etc/systemd/system/immuta.socket
#   /etc/sysusers.d/immuta.conf          (the system user and group immuta)
#   /etc/immuta/immuta.conf              (only when absent: an edited configuration is never replaced; one
#                                         without access rules gets the immuta group's old rights appended)
#   $PREFIX/share/doc/immuta/*.md        (when docs/ has them)
#   $PREFIX/share/man/man1/immutactl.1, $PREFIX/share/man/man8/immutad.8   (from man/, committed)
#   immutactl's shell completions, made by the built immutactl (--generate-completion-script), where each
#   shell looks under PREFIX (for PREFIX=/usr, where Debian's packages put theirs):
#     $PREFIX/share/bash-completion/completions/immutactl
#     $PREFIX/share/zsh/site-functions/_immutactl       (/usr/share/zsh/vendor-completions/_immutactl for /usr)
#     $PREFIX/share/fish/vendor_completions.d/immutactl.fish
# /var/lib/immuta and /run/immuta are made by systemd (StateDirectory=, RuntimeDirectory=, the socket unit),
# so no tmpfiles.d entry is needed. Without DESTDIR, and when systemd runs, the user is created and the
# units are loaded; start with `systemctl enable --now immuta.socket`.
set -euo pipefail

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
source_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

fail() {
    echo "install.sh: $*" >&2
    exit 1
}

[[ $PREFIX == /* ]] || fail "PREFIX must be an absolute path, not '$PREFIX'"

if [[ -n ${BUILD_BIN_DIR:-} ]]; then
    bin_dir=$BUILD_BIN_DIR
else
    (cd "$source_root" && swift build -c release) || fail "swift build -c release failed; fix the build and run again"
    bin_dir=$(cd "$source_root" && swift build -c release --show-bin-path)
fi
for binary in immutad immutactl; do
    [[ -x $bin_dir/$binary ]] || fail "$bin_dir/$binary was not built; run 'swift build -c release' and check that \
the $binary product exists in Package.swift (or point BUILD_BIN_DIR at the built binaries)"
done
for file in systemd/immuta.service systemd/immuta.socket systemd/immuta.sysusers etc/immuta.conf man/immutactl.1 \
    man/immutad.8; do
    [[ -f $source_root/$file ]] || fail "$source_root/$file is missing from the source tree"
done

unit_dir=$DESTDIR/etc/systemd/system
install -d "$DESTDIR$PREFIX/bin" "$unit_dir" "$DESTDIR/etc/sysusers.d" "$DESTDIR/etc/immuta"
install -m 0755 "$bin_dir/immutad" "$bin_dir/immutactl" "$DESTDIR$PREFIX/bin/"

# The unit names /usr/local for ExecStart= and Documentation=; point both at PREFIX.
service=$(sed "s#^\(ExecStart\|Documentation\)=\([a-z]*:\)\{0,1\}/usr/local/#\1=\2$PREFIX/#" \
    "$source_root/systemd/immuta.service")
grep -q "^ExecStart=$PREFIX/bin/immutad " <<<"$service" || fail "could not rewrite ExecStart= in immuta.service"
printf '%s\n' "$service" >"$unit_dir/immuta.service.tmp"
chmod 0644 "$unit_dir/immuta.service.tmp"
mv "$unit_dir/immuta.service.tmp" "$unit_dir/immuta.service"
install -m 0644 "$source_root/systemd/immuta.socket" "$unit_dir/immuta.socket"
install -m 0644 "$source_root/systemd/immuta.sysusers" "$DESTDIR/etc/sysusers.d/immuta.conf"

config=$DESTDIR/etc/immuta/immuta.conf
if [[ -e $config ]]; then
    echo "install.sh: keeping the existing $config; the shipped default is $source_root/etc/immuta.conf"
    if ! grep -q '^access:' "$config"; then
        # A configuration from before access control grants nobody but root and the immuta user
        # anything: give the immuta group what membership of the socket's group meant until now,
        # so that the host keeps working, and say so. The file as it was is kept beside it.
        cp -p "$config" "$config.before-access"
        cat >>"$config" <<'GRANT'

# Added by install.sh when upgrading to a release with access control (docs/SECURITY.md): until
# now every member of the immuta group could produce and consume every topic. Narrow this to the
# topics each group needs, and give admin to those who manage topics.
access:
  grants:
    - name: immuta group
      groups: [immuta]
      allow: [produce, consume]
      topics: ["*"]
GRANT
        echo "install.sh: $config had no access rules; added a grant of produce and consume on every topic to the immuta group (the file as it was: $config.before-access)"
    fi
else
    install -m 0644 "$source_root/etc/immuta.conf" "$config"
fi

shopt -s nullglob
docs=("$source_root"/docs/*.md)
if ((${#docs[@]})); then
    install -d "$DESTDIR$PREFIX/share/doc/immuta"
    install -m 0644 "${docs[@]}" "$DESTDIR$PREFIX/share/doc/immuta/"
fi

# The pages name /usr/local/share/doc/immuta in SEE ALSO; point it at PREFIX, as for the unit.
for page in man/immutactl.1 man/immutad.8; do
    section=${page##*.}
    install -d "$DESTDIR$PREFIX/share/man/man$section"
    sed "s#/usr/local/share/doc/immuta#$PREFIX/share/doc/immuta#g" "$source_root/$page" \
        >"$DESTDIR$PREFIX/share/man/man$section/${page#man/}"
    chmod 0644 "$DESTDIR$PREFIX/share/man/man$section/${page#man/}"
done

# Completions come from the binary being installed, so they always match its commands.
zsh_dir=$PREFIX/share/zsh/site-functions
if [[ $PREFIX == /usr ]]; then zsh_dir=/usr/share/zsh/vendor-completions; fi
for completion in "bash $PREFIX/share/bash-completion/completions/immutactl" "zsh $zsh_dir/_immutactl" \
    "fish $PREFIX/share/fish/vendor_completions.d/immutactl.fish"; do
    read -r shell target <<<"$completion"
    install -d "$(dirname "$DESTDIR$target")"
    "$bin_dir/immutactl" --generate-completion-script "$shell" >"$DESTDIR$target" && [[ -s $DESTDIR$target ]] ||
        fail "$bin_dir/immutactl --generate-completion-script $shell printed no completion script"
    chmod 0644 "$DESTDIR$target"
done

if [[ -z $DESTDIR && -d /run/systemd/system ]]; then
    systemd-sysusers /etc/sysusers.d/immuta.conf
    systemctl daemon-reload
    echo "installed; start with: systemctl enable --now immuta.socket"
elif [[ -z $DESTDIR ]]; then
    echo "installed; systemd is not running, so create the user with 'systemd-sysusers' once it is"
else
    echo "installed into $DESTDIR"
fi
