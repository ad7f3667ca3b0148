#!/usr/bin/env bash
# Sets up and runs a local yreb-sync federation of the eleven Yangtze River
# Economic Belt members on 127.0.0.1. It installs packages, builds, and creates
# keys, certificates and the signed manifest. Then it starts eleven nodes, has
# each import its province's rows from the real published files, and waits
# until all hold identical copies. It shows each node's status. The lead then
# seals the shared sets 2019-Q4 and 2023, and the demo waits until every node
# has verified them. It ends with a handover of the lead from the genesis
# lead 310000 to 320000, shown in every node's lead status.
# Usage: scripts/demo.sh [--keep] [--out DIR]
#        scripts/demo.sh --stop [--out DIR]
#   --keep     leave the nodes running at the end
#   --stop     stop the nodes a --keep run left running
#   --out DIR  where the federation lives (default ./demo-run)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

keep=0
stop_only=0
out="$root/demo-run"
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1 ;;
    --stop) stop_only=1 ;;
    --out)
      if [ $# -lt 2 ] || [ -z "$2" ]; then
        echo "demo.sh: --out needs a directory, e.g. --out /tmp/demo" >&2
        exit 2
      fi
      out=$(realpath -m "$2"); shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (use --keep, --stop, --out DIR or --help)" >&2; exit 2 ;;
  esac
  shift
done

members=(310000 320000 330000 340000 360000 420000 430000 500000 510000 520000 530000)
declare -A estate=([310000]=上海 [320000]=江苏 [330000]=浙江 [340000]=安徽 [360000]=江西
                   [420000]=湖北 [430000]=湖南 [500000]=重庆 [510000]=四川 [520000]=贵州
                   [530000]=云南)

# Stops the nodes of an earlier run and waits up to 15 s for them to exit;
# sets `stopped` to how many were running.
stopped=0
stop_nodes() {
  local pids=() pid
  for id in "${members[@]}"; do
    if [ -f "$out/$id/node.pid" ]; then
      pid=$(cat "$out/$id/node.pid")
      if kill "$pid" 2>/dev/null; then pids+=("$pid"); fi
      rm -f "$out/$id/node.pid"
    fi
  done
  stopped=${#pids[@]}
  for _ in $(seq 1 150); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  echo "demo.sh: some nodes did not exit within 15 s; see $out/*/node.log" >&2
}
if [ "$stop_only" = 1 ]; then
  stop_nodes
  if [ "$stopped" = 0 ]; then
    echo "demo.sh: no nodes of $out were running"
  else
    echo "demo.sh: stopped $stopped nodes in $out"
  fi
  exit 0
fi

step() { printf '\n== %s\n' "$*"; }

step "Installing Debian packages"
bash scripts/install-deps.sh

step "Building yreb-sync"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target yreb-node yrebctl
ctl="$root/build/cli/yrebctl"
node="$root/build/node/yreb-node"

if [ -e "$out" ]; then
  # A directory an earlier demo made is replaced; anything else is left alone.
  if [ -f "$out/.yreb-demo" ]; then
    stop_nodes
    rm -rf "$out"
  else
    echo "demo.sh: $out exists and was not made by this demo; remove it or choose another" \
         "--out DIR" >&2
    exit 2
  fi
fi

step "Creating a local federation of ${#members[@]} members (keys, certificates, signed manifest)"
list=$(IFS=,; echo "${members[*]}")
"$ctl" federation init --members "$list" --lead 310000 --out "$out"
touch "$out/.yreb-demo"

trap '[ "$keep" = 1 ] || stop_nodes' EXIT
step "Starting ${#members[@]} nodes on 127.0.0.1"
for id in "${members[@]}"; do
  "$node" --config "$out/$id/node.toml" 2>"$out/$id/node.log" &
  echo $! >"$out/$id/node.pid"
done
for id in "${members[@]}"; do
  for _ in $(seq 1 100); do
    "$ctl" --config "$out/$id/node.toml" status >/dev/null 2>&1 && break
    sleep 0.1
  done
done

step "Each bureau imports its own province's rows from the real published files"
data="$root/testdata"
for id in "${members[@]}"; do
  cfg="$out/$id/node.toml"
  echo "-- node $id"
  # Appends start once a majority of members confirmed the node's latest entry.
  for _ in $(seq 1 100); do
    "$ctl" --config "$cfg" --json status | /usr/bin/python3 -c \
      'import json,sys; sys.exit(0 if json.load(sys.stdin)["append_allowed"] else 1)' && break
    sleep 0.2
  done
  "$ctl" --config "$cfg" import "$data/nbs-fsnd-multi-2006-2025-renjiyi/分省年度数据.csv" \
    --status final
  "$ctl" --config "$cfg" import \
    "$data/nbs-fsyd-realestate-yreb-2017-2019-wyq/csvFile/${estate[$id]}.csv" --status final
done
"$ctl" --config "$out/420000/node.toml" import \
  "$data/census-prefecture-pop-2010-2020-leiii/census_city_2010-2020_v1.csv" \
  --mapping "$data/census-prefecture-pop-2010-2020-leiii/census_city_2010-2020_v1.mapping.toml" \
  --status final

step "A single write and query (Jiangsu revises its 2024 GDP)"
"$ctl" --config "$out/320000/node.toml" put --indicator gdp --region 320000 --period 2024 \
  --value 136700.0 --status revised --note "demo revision"
"$ctl" --config "$out/320000/node.toml" query --indicator gdp --region 320000 \
  --from 2024 --to 2024 --history

step "Waiting until all ${#members[@]} nodes hold identical version vectors"
converged=0
for _ in $(seq 1 300); do
  vectors=""
  for id in "${members[@]}"; do
    vectors+=$("$ctl" --config "$out/$id/node.toml" --json status | /usr/bin/python3 -c \
      'import json,sys; print(json.dumps(json.load(sys.stdin)["version_vector"], sort_keys=True))')
    vectors+=$'\n'
  done
  if [ "$(printf '%s' "$vectors" | sort -u | wc -l)" = 1 ]; then
    converged=1
    break
  fi
  sleep 0.2
done
if [ "$converged" != 1 ]; then
  echo "demo.sh: the nodes did not converge within 60 s; see $out/*/node.log" >&2
  exit 1
fi
echo "all ${#members[@]} nodes hold the same entries of every origin"

step "Status of one node (310000); yrebctl status shows the same on every node"
"$ctl" --config "$out/310000/node.toml" status

step "Every node in one line: entries held, peers connected and in sync, alarms"
for id in "${members[@]}"; do
  "$ctl" --config "$out/$id/node.toml" --json status | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
entries = sum(tip["sequence"] for tip in s["version_vector"])
peers = s["peers"]
print("{} {}: {} entries of {} origins; peers connected {}/{}, in sync {}/{}; alarms {}".format(
    s["node_id"], s["province"], entries, len(s["version_vector"]),
    sum(p["connected"] for p in peers), len(peers), sum(p["in_sync"] for p in peers),
    len(peers), len(s["alarms"])))'
done

lead="$out/310000/node.toml"
step "The lead (310000) seals the shared quarterly set 2019-Q4; for real-estate investment (亿元) the quarter's value is the cumulative value of 2019-M12"
echo "(The published files at hand have no provincial quarterly GDP, so the set lists the"
echo " quarterly accounts indicators as missing for every member: that is expected here.)"
"$ctl" --config "$lead" shared seal 2019-Q4
step "The lead seals the shared annual set 2023: 地区生产总值 (亿元) of the eleven members"
echo "(Of the annual indicators the demo imports only 地区生产总值 for 2023, so the others are"
echo " listed as missing.)"
"$ctl" --config "$lead" shared seal 2023

step "Every node recomputes both releases from the cut they name"
verified=0
for _ in $(seq 1 150); do
  verified=0
  for id in "${members[@]}"; do
    count=$("$ctl" --config "$out/$id/node.toml" --json status | /usr/bin/python3 -c \
      'import json,sys; print(json.load(sys.stdin)["releases"].get("verified", 0))')
    [ "$count" -ge 2 ] && verified=$((verified + 1))
  done
  [ "$verified" = "${#members[@]}" ] && break
  sleep 0.2
done
"$ctl" --config "$lead" shared releases
for id in "${members[@]}"; do
  "$ctl" --config "$out/$id/node.toml" --json status | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
states = ", ".join("{} {}".format(n, state) for state, n in sorted(s["releases"].items()))
print("{} {}: releases {}".format(s["node_id"], s["province"], states or "none"))'
done
if [ "$verified" != "${#members[@]}" ]; then
  echo "demo.sh: only $verified of ${#members[@]} nodes verified both releases within 30 s" >&2
  exit 1
fi

step "Lead handover: the genesis lead 310000 (上海市) hands epoch 2 to 320000 (江苏省)"
"$ctl" --config "$out/310000/node.toml" lead status
"$ctl" --config "$out/310000/node.toml" lead handover --to 320000 --reason "轮值：上海市交江苏省"
# Accept is rejected, naming what is missing, until the incoming lead has
# stored every entry that 310000 had at the fence.
accepted=0
for _ in $(seq 1 150); do
  if "$ctl" --config "$out/320000/node.toml" lead accept 2>/dev/null; then
    accepted=1
    break
  fi
  sleep 0.2
done
if [ "$accepted" != 1 ]; then
  "$ctl" --config "$out/320000/node.toml" lead accept || true
  echo "demo.sh: 320000 could not accept the handover within 30 s; see $out/*/node.log" >&2
  exit 1
fi

step "Lead status of every node after the handover"
for id in "${members[@]}"; do
  line=""
  for _ in $(seq 1 100); do
    line=$("$ctl" --config "$out/$id/node.toml" --json lead status | /usr/bin/python3 -c '
import json, sys
status = json.load(sys.stdin)
chain = " -> ".join("{} {} ({})".format(e["epoch"], e["lead"], e["via"]) for e in status["chain"])
print("{}  epoch {}  lead {}  may coordinate: {}  chain: {}".format(
    status["node_id"], status["epoch"], status["lead"],
    "yes" if status["may_coordinate"] else "no", chain))')
    case "$line" in *"epoch 2  lead 320000"*) break ;; esac
    sleep 0.2
  done
  echo "  $line"
  case "$line" in
    *"epoch 2  lead 320000"*) ;;
    *) echo "demo.sh: node $id does not report epoch 2 led by 320000" >&2; exit 1 ;;
  esac
done
echo
"$ctl" --config "$out/320000/node.toml" lead status

if [ "$keep" = 1 ]; then
  echo
  echo "The nodes keep running. Try: $ctl --config $out/320000/node.toml status"
  echo "Stop them with: scripts/demo.sh --stop --out $out"
else
  echo
  echo "Demo finished; stopping the nodes. Their data stays in $out."
fi
