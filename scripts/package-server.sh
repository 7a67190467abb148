#!/usr/bin/env bash
# Builds the sync server's Debian package, then checks it: contents, maintainer
# scripts, the systemd unit (systemd-analyze verify), and that the packaged binary
# starts with the packaged settings file and answers /v1/health.
#
#   scripts/package-server.sh            -> dist/frontdesk-server_<version>_<arch>.deb
#   FRONTDESK_PACKAGE_SKIP_BUILD=1 scripts/package-server.sh   package the release binary as it is
#
# Contents: /usr/bin/frontdesk-server, /lib/systemd/system/frontdesk-server.service,
# /etc/frontdesk/server.toml (a conffile: an upgrade keeps the operator's edits),
# and /usr/share/doc/frontdesk-server/ (the example settings, an nginx site, the
# README and the deployment guide).
# The package's scripts create the system user `frontdesk` and enable the service.
#
# Plain dpkg-deb rather than cargo-deb: the package is five files and three
# scripts, and dpkg-deb is on every Debian machine (nothing to build or install).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_rust
ensure_packages build-essential pkg-config dpkg-dev binutils curl
cd "$ROOT"

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
arch=$(dpkg --print-architecture)
name=frontdesk-server
deploy=crates/server/deploy
out="$ROOT/dist"
deb="$out/${name}_${version}_${arch}.deb"

if [ -z "${FRONTDESK_PACKAGE_SKIP_BUILD:-}" ]; then
  say "building $name $version (release)"
  cargo build --release --locked -p frontdesk-server
fi
binary="$CARGO_TARGET_DIR/release/frontdesk-server"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
say "assembling the package tree"
install -D -m 0755 "$binary" "$root/usr/bin/frontdesk-server"
strip --strip-unneeded "$root/usr/bin/frontdesk-server"
install -D -m 0644 "$deploy/frontdesk-server.service" "$root/lib/systemd/system/frontdesk-server.service"
install -D -m 0640 "$deploy/server.example.toml" "$root/etc/frontdesk/server.toml"
doc="$root/usr/share/doc/$name"
install -D -m 0644 "$deploy/server.example.toml" "$doc/server.example.toml"
install -D -m 0644 "$deploy/nginx-frontdesk.conf" "$doc/nginx-frontdesk.conf"
install -D -m 0644 crates/server/README.md "$doc/README.md"
[ -f docs/deployment.md ] && install -D -m 0644 docs/deployment.md "$doc/deployment.md"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: frontdesk
Files: *
Copyright: Frontdesk developers
License: Apache-2.0
 On Debian systems, the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
EOF

install -d "$root/DEBIAN"
install -m 0755 "$deploy/debian/postinst" "$deploy/debian/prerm" "$deploy/debian/postrm" "$root/DEBIAN/"
echo "/etc/frontdesk/server.toml" >"$root/DEBIAN/conffiles"

# Shared-library dependencies as dpkg-shlibdeps computes them (SQLite and the TLS
# library are linked in, so this is about libc and libgcc).
mkdir -p "$work/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" >"$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/frontdesk-server" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
installed_kib=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: Frontdesk developers <frontdesk@example.invalid>
Installed-Size: $installed_kib
Depends: ${shlibs:-libc6}, adduser
Section: net
Priority: optional
Homepage: https://example.invalid/frontdesk
Description: Frontdesk hotel sync server
 The authoritative store of a hotel's front desk data: the Frontdesk desks
 push the changes they made (online or during an internet outage) and pull
 everyone else's, merged field by field, with conflicts kept for a person to
 resolve. SQLite for one property on one machine, PostgreSQL for a chain with
 several server processes. Includes the admin command line (properties, staff,
 enrollment codes, backups) and a hardened systemd unit.
EOF

mkdir -p "$out"
dpkg-deb --root-owner-group --build -Zxz "$root" "$deb" >/dev/null
say "built $deb ($(du -h "$deb" | cut -f1))"

# ---- checks ------------------------------------------------------------------------
say "checking the package"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Installed-Size\):/  \1:/p'
listing=$(dpkg-deb --contents "$deb")
for path in ./usr/bin/frontdesk-server ./lib/systemd/system/frontdesk-server.service \
  ./etc/frontdesk/server.toml ./usr/share/doc/$name/server.example.toml ./usr/share/doc/$name/copyright; do
  grep -q " $path\$" <<<"$listing" || { echo "missing from the package: $path" >&2; exit 1; }
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = "/etc/frontdesk/server.toml" ] ||
  { echo "server.toml is not a conffile" >&2; exit 1; }
for script in postinst prerm postrm; do sh -n "$deploy/debian/$script"; done

check="$work/check"
dpkg-deb -x "$deb" "$check"
bin="$check/usr/bin/frontdesk-server"
"$bin" --version

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify resolves ExecStart on this machine: point it at the unpacked binary.
  sed "s#/usr/bin/frontdesk-server#$bin#" "$check/lib/systemd/system/frontdesk-server.service" \
    >"$work/frontdesk-server.service"
  systemd-analyze verify "$work/frontdesk-server.service"
  echo "  systemd-analyze verify: the unit is valid"
fi

# The packaged settings file, as installed, with only the paths moved into the
# scratch root: the server starts with it and answers.
port=$( (command -v python3 >/dev/null && python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])') || echo 18787)
sed -e "s#/var/lib/frontdesk/#$check/var/lib/frontdesk/#" -e "s#127.0.0.1:8787#127.0.0.1:$port#" \
  "$check/etc/frontdesk/server.toml" >"$work/server.toml"
mkdir -p "$check/var/lib/frontdesk"
env -u FRONTDESK_DATABASE -u RUST_LOG "$bin" serve --config "$work/server.toml" >"$work/serve.log" 2>&1 &
pid=$!
ok=
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/v1/health" >"$work/health.json" 2>/dev/null; then ok=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if [ -z "$ok" ]; then cat "$work/serve.log" >&2; echo "the packaged server did not answer" >&2; exit 1; fi
echo "  the packaged binary with the packaged settings answers /v1/health: $(cat "$work/health.json")"
say "package ok: $deb"
