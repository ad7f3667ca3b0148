#!/usr/bin/env bash
# Checks deploy/yreb-node.service with systemd-analyze verify. The unit's
# ExecStart names the installed binary, which verify requires to exist, so
# the check runs on a copy whose ExecStart points at the built binary.
# Usage: systemd_unit_test.sh UNIT_FILE YREB_NODE_BINARY
set -euo pipefail

unit="$1"
binary="$2"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not found; install the systemd package (scripts/install-deps.sh)" >&2
  exit 1
fi
if [ ! -x "$binary" ]; then
  echo "$binary is missing; build the yreb-node target first" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/yreb-unit-XXXXXX")"
trap 'rm -rf "$work"' EXIT
copy="$work/yreb-node.service"

grep -q '^ExecStart=/usr/local/bin/yreb-node ' "$unit" ||
  { echo "FAIL: ExecStart does not start /usr/local/bin/yreb-node" >&2; exit 1; }
sed "s|^ExecStart=/usr/local/bin/yreb-node |ExecStart=$binary |" "$unit" >"$copy"

# verify exits 0 on some problems it only warns about, so any output fails.
if ! output="$(systemd-analyze verify "$copy" 2>&1)"; then
  echo "FAIL: systemd-analyze verify rejected the unit:" >&2
  echo "$output" >&2
  exit 1
fi
if [ -n "$output" ]; then
  echo "FAIL: systemd-analyze verify warned:" >&2
  echo "$output" >&2
  exit 1
fi

# The settings the node and the operator manual rely on.
for line in 'Type=notify' 'WatchdogSec=30s' 'User=yreb' 'Group=yreb' \
    'StateDirectory=yreb-sync' 'RuntimeDirectory=yreb-sync' 'RuntimeDirectoryMode=0750' \
    'ConfigurationDirectory=yreb-sync' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
    'ReadWritePaths=/var/lib/yreb-sync' 'PrivateTmp=yes' 'ProtectHome=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' 'SystemCallFilter=@system-service' \
    'CapabilityBoundingSet='; do
  grep -qx -- "$line" "$unit" || { echo "FAIL: the unit lacks the line: $line" >&2; exit 1; }
done

# The check can fail: a unit whose binary does not exist is rejected.
sed "s|^ExecStart=$binary |ExecStart=$work/no-such-binary |" "$copy" >"$work/broken.service"
if systemd-analyze verify "$work/broken.service" >/dev/null 2>&1; then
  echo "FAIL: systemd-analyze verify accepted a unit whose ExecStart does not exist" >&2
  exit 1
fi

echo "PASS: $unit"
