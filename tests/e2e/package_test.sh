#!/usr/bin/env bash
# Builds the Debian package in BUILD_DIR with cpack, checks its file list and
# control fields, then runs postinst, prerm and postrm against a throwaway
# root ($DPKG_ROOT) for an install, a second configure, an upgrade, a remove
# and a purge. adduser, addgroup, chown, dpkg-statoverride, systemctl,
# deb-systemd-helper and deb-systemd-invoke are stand-ins on PATH that record
# their arguments, so nothing touches this machine's users or services.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail

build_dir=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/yreb-package-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

expect_log() {  # expect_log PATTERN: a recorded call matches the extended regex
  grep -Eq -- "$1" "$work/calls.log" || fail "no recorded call matches '$1'"
}

expect_no_log() {
  if grep -Eq -- "$1" "$work/calls.log"; then fail "unexpected call matching '$1'"; fi
}

expect_mode() {  # expect_mode MODE PATH
  local mode
  mode=$(stat -c %a "$2")
  [ "$mode" = "$1" ] || fail "$2 has mode $mode, expected $1"
}

# --- build ------------------------------------------------------------------
(cd "$build_dir" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log" >&2
  echo "FAIL: cpack -G DEB failed" >&2
  exit 1
}
deb=$(ls "$work"/out/*.deb)
echo "built $(basename "$deb")"

# --- contents -----------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents.txt"
for path in ./usr/bin/yreb-node ./usr/bin/yrebctl ./lib/systemd/system/yreb-node.service \
            ./etc/yreb-sync/node.toml ./usr/share/doc/yreb-sync/node.example.toml \
            ./usr/share/doc/yreb-sync/OPERATIONS.md "./usr/share/doc/yreb-sync/运维手册.md" \
            ./usr/share/doc/yreb-sync/REPLICATION.md \
            "./usr/share/doc/yreb-sync/复制与同步.md"; do
  grep -qxF -- "$path" "$work/contents.txt" || fail "package lacks $path"
done
if grep -E '^\./var/lib/' "$work/contents.txt"; then
  fail "package ships files under /var/lib, which an upgrade would overwrite"
fi

# --- control fields -------------------------------------------------------------
[ "$(dpkg-deb -f "$deb" Package)" = yreb-sync ] || fail "Package is not yreb-sync"
[ -n "$(dpkg-deb -f "$deb" Version)" ] || fail "no Version"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] ||
  fail "Architecture is $(dpkg-deb -f "$deb" Architecture)"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
depends=$(dpkg-deb -f "$deb" Depends)
# Debian's RocksDB CMake target is the static librocksdb.a, so the package
# depends on its compression libraries (libzstd1) instead of librocksdb.
for library in adduser libzstd1 libgrpc++ libprotobuf libssl libsystemd0 libc6; do
  [[ "$depends" == *"$library"* ]] || fail "Depends lacks $library: $depends"
done

dpkg-deb -e "$deb" "$work/control"
grep -qxF /etc/yreb-sync/node.toml "$work/control/conffiles" ||
  fail "node.toml is not a conffile"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || fail "$script missing or not executable"
  sh -n "$work/control/$script" || fail "$script is not valid sh"
done

root=$work/root
dpkg-deb -x "$deb" "$root"
grep -q '^ExecStart=/usr/bin/yreb-node --config /etc/yreb-sync/node.toml$' \
  "$root/lib/systemd/system/yreb-node.service" || fail "the packaged unit does not start /usr/bin/yreb-node"
grep -q '^data_dir = "/var/lib/yreb-sync/data"$' "$root/etc/yreb-sync/node.toml" ||
  fail "the packaged node.toml does not put data_dir under /var/lib/yreb-sync"

# --- stand-ins ------------------------------------------------------------------
shims=$work/shims
mkdir -p "$shims"
for tool in adduser addgroup chown chgrp systemctl deb-systemd-invoke; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$work/calls.log" >"$shims/$tool"
done
# was-enabled returns the state in $SHIM_WAS_ENABLED; every other call succeeds.
cat >"$shims/deb-systemd-helper" <<SHIM
#!/bin/sh
echo "deb-systemd-helper \$*" >>"$work/calls.log"
case "\$*" in
  *was-enabled*) [ "\${SHIM_WAS_ENABLED:-no}" = yes ] ;;
  *) exit 0 ;;
esac
SHIM
# No statoverride is registered.
printf '#!/bin/sh\necho "dpkg-statoverride $*" >>"%s"\nexit 1\n' "$work/calls.log" \
  >"$shims/dpkg-statoverride"
chmod +x "$shims"/*
mkdir -p "$root/run/systemd/system"  # systemd "runs" in the fake root

run_script() {  # run_script NAME ARGS...: runs a maintainer script in the fake root
  : >"$work/calls.log"
  DPKG_ROOT=$root PATH="$shims:$PATH" sh "$work/control/$1" "${@:2}" \
    2>"$work/script.err" || fail "$1 $* exited with $?: $(cat "$work/script.err")"
}

# --- fresh install: users, directories, no start ------------------------------
run_script postinst configure
expect_log '^addgroup --system --quiet yreb-operators$'
expect_log '^adduser --system --quiet --group --home /var/lib/yreb-sync --no-create-home .* yreb$'
expect_log "^chown yreb:yreb $root/var/lib/yreb-sync\$"
expect_log "^chown root:yreb-operators $root/etc/yreb-sync\$"
expect_log "^chown root:yreb-operators $root/etc/yreb-sync/node.toml\$"
expect_log '^deb-systemd-helper update-state yreb-node.service$'
expect_log '^systemctl --system daemon-reload$'
expect_no_log 'enable yreb-node|start|restart'
expect_mode 700 "$root/var/lib/yreb-sync"
expect_mode 750 "$root/etc/yreb-sync"
expect_mode 640 "$root/etc/yreb-sync/node.toml"

# --- configure again: idempotent ------------------------------------------------
run_script postinst configure
expect_log '^addgroup --system --quiet yreb-operators$'
expect_no_log 'start'
expect_mode 700 "$root/var/lib/yreb-sync"

# --- upgrade of an enabled, running node: data and local config edits stay ----
mkdir -p "$root/var/lib/yreb-sync/data" "$root/var/lib/yreb-sync/backups"
echo "MANIFEST-000005" >"$root/var/lib/yreb-sync/data/CURRENT"
echo "# local edit by the operator" >>"$root/etc/yreb-sync/node.toml"
cp "$root/etc/yreb-sync/node.toml" "$work/node.toml.before"
run_script prerm upgrade 0.2.0
expect_no_log 'stop'
SHIM_WAS_ENABLED=yes run_script postinst configure 0.0.9
expect_log '^deb-systemd-helper enable yreb-node.service$'
expect_log '^deb-systemd-invoke try-restart yreb-node.service$'
expect_no_log 'invoke (start|stop)'
[ "$(cat "$root/var/lib/yreb-sync/data/CURRENT")" = "MANIFEST-000005" ] ||
  fail "the upgrade changed the database"
cmp -s "$root/etc/yreb-sync/node.toml" "$work/node.toml.before" ||
  fail "the upgrade changed node.toml"

# --- remove: stop and mask, keep everything else --------------------------------
run_script prerm remove
expect_log '^deb-systemd-invoke stop yreb-node.service$'
run_script postrm remove
expect_log '^deb-systemd-helper mask yreb-node.service$'
[ -f "$root/var/lib/yreb-sync/data/CURRENT" ] || fail "remove deleted the database"
[ -f "$root/etc/yreb-sync/node.toml" ] || fail "remove deleted node.toml"

# --- purge: keeps the state directory unless the administrator opts in -------
mkdir -p "$root/run/yreb-sync"
touch "$root/etc/yreb-sync/node.key"
run_script postrm purge
expect_log '^deb-systemd-helper purge yreb-node.service$'
[ -f "$root/var/lib/yreb-sync/data/CURRENT" ] || fail "purge deleted the database without opt-in"
grep -q "kept /var/lib/yreb-sync" "$work/script.err" || fail "purge did not say it kept the data"
[ ! -e "$root/run/yreb-sync" ] || fail "purge left /run/yreb-sync"
[ -f "$root/etc/yreb-sync/node.key" ] || fail "purge deleted the node key"
expect_no_log 'deluser|delgroup'

YREB_SYNC_PURGE_DATA=yes run_script postrm purge
[ ! -e "$root/var/lib/yreb-sync" ] || fail "purge with YREB_SYNC_PURGE_DATA=yes kept the data"

# Unknown actions fail, as Debian policy requires.
if DPKG_ROOT=$root PATH="$shims:$PATH" sh "$work/control/postinst" bogus 2>/dev/null; then
  fail "postinst accepted an unknown action"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures checks failed" >&2
  exit 1
fi
echo "package checks passed"
