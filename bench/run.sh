#!/usr/bin/env bash
# Runs every benchmark of yreb-sync and relates each end-to-end figure to the
# ceiling this machine reaches in the same run.
#
#   bench/run.sh --quick   small sizes, well under a minute; checks the harness
#   bench/run.sh --full    the sizes BENCHMARKS.md records
#
# Options: --no-record prints the section without appending it to
# BENCHMARKS.md, and quick mode never appends. --build-dir DIR names the build
# (default: build-bench beside this folder), which is configured when new and
# built before every run. A scaled-down full run takes --import-rows N,
# --backlog-rows N, --total-entries N and --probes N.
# Nodes run as local processes on 127.0.0.1 under DIR/bench-tmp.
set -euo pipefail

source_dir="$(cd "$(dirname "$0")/.." && pwd)"
command_line="bench/run.sh $*"
mode=""
record=1
build_dir="$source_dir/build-bench"
declare -A override=()

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "$0"
}

# Returns the value after option $1, or fails naming the option.
option_value() {
  if [[ $# -lt 2 || -z "$2" || "$2" == --* ]]; then
    echo "run.sh: $1 needs a value; see bench/run.sh --help" >&2
    exit 2
  fi
  printf '%s' "$2"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --no-record) record=0 ;;
    --help|-h) usage; exit 0 ;;
    --build-dir) build_dir="$(option_value "$@")"; shift ;;
    --import-rows|--backlog-rows|--total-entries|--probes)
      value="$(option_value "$@")"
      if [[ ! "$value" =~ ^[1-9][0-9]{0,11}$ ]]; then
        echo "run.sh: $1 must be a whole number above 0, not \"$value\"" >&2
        exit 2
      fi
      override["${1#--}"]="$value"
      shift
      ;;
    *) echo "run.sh: unknown option $1; see bench/run.sh --help" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z "$mode" ]]; then
  echo "run.sh: give --quick or --full" >&2
  exit 2
fi
[[ "$mode" == quick ]] && record=0

if [[ "$mode" == quick ]]; then
  import_rows=20000; backlog_rows=20000; total_entries=60000; file_rows=20000; probes=5
  rocksdb_entries=100000; rocksdb_sync_entries=10000; verify_seconds=1; grpc_entries=100000
  micro_args=(--benchmark_min_time=0.01)
else
  import_rows=1000000; backlog_rows=3600000; total_entries=10000000; file_rows=1000000
  probes=200
  rocksdb_entries=1000000; rocksdb_sync_entries=200000; verify_seconds=5; grpc_entries=1000000
  micro_args=(--benchmark_min_time=0.5)
fi
import_rows="${override[import-rows]:-$import_rows}"
backlog_rows="${override[backlog-rows]:-$backlog_rows}"
total_entries="${override[total-entries]:-$total_entries}"
probes="${override[probes]:-$probes}"

# Builds every time: an incremental build of unchanged sources takes
# seconds, and a build left from an older checkout would measure old code.
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build_dir" -j"$(nproc)" --target yreb-bench-micro yreb-bench-ceilings \
  yreb-bench-e2e yreb-node yrebctl >/dev/null

work="$build_dir/bench-tmp/$mode-$$"
mkdir -p "$work"
# Removes the work folder. After Ctrl-C or a timeout the nodes get the
# signal too and close their stores, still writing files for a moment, so
# this waits (at most 10 s) until no process runs from the folder.
cleanup() {
  for _ in $(seq 1 40); do
    pgrep -f -- "$work/" >/dev/null || break
    sleep 0.25
  done
  rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work"; }
}
trap cleanup EXIT
results="$work/results.txt"
: >"$results"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

echo "== micro benchmarks" >&2
"$build_dir/bench/yreb-bench-micro" "${micro_args[@]}" --benchmark_format=console \
  >"$work/micro.txt"

echo "== ceilings" >&2
"$build_dir/bench/yreb-bench-ceilings" rocksdb "$work/rocksdb" "$rocksdb_entries" \
  "$rocksdb_sync_entries" >>"$results"
"$build_dir/bench/yreb-bench-ceilings" verify "$verify_seconds" >>"$results"
tls_args=()
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/tls.key" -out "$work/tls.crt" >/dev/null 2>&1; then
  tls_args=("$work/tls.crt" "$work/tls.key")
fi
"$build_dir/bench/yreb-bench-ceilings" grpc "$grpc_entries" "${tls_args[@]}" >>"$results"

echo "== end to end" >&2
mkdir -p "$work/nodes"
TMPDIR="$work/nodes" "$build_dir/bench/yreb-bench-e2e" all --import-rows "$import_rows" \
  --backlog-rows "$backlog_rows" --total-entries "$total_entries" --file-rows "$file_rows" \
  --probes "$probes" --load-rate 1000 >>"$results"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# The ceiling again, after the end-to-end steps: this machine's speed
# drifts by tens of percent within minutes, and the higher reading is the
# stricter one to compare with.
echo "== RocksDB ceiling, second reading" >&2
"$build_dir/bench/yreb-bench-ceilings" rocksdb "$work/rocksdb-after" "$rocksdb_entries" \
  "$rocksdb_sync_entries" | awk '$1 ~ /^rocksdb_ingest/ { $1 = $1 "_after" } { print }' \
  | grep '^rocksdb_ingest' >>"$results"

value() { awk -v name="$1" '$1 == name { print $2 }' "$results"; }
for name in rocksdb_ingest_nosync rocksdb_ingest_nosync_after rocksdb_ingest_sync \
  ed25519_verify_all_cores \
  grpc_stream_plain import_rate initial_sync_rate catch_up_rate propagation_p99 \
  peak_rss_origin peak_rss_receiver disk_bytes_per_entry_receiver raw_entry_bytes_receiver; do
  if [[ -z "$(value "$name")" ]]; then
    echo "run.sh: no figure for $name; see $results" >&2
    cat "$results" >&2
    exit 1
  fi
done

# Prints a table row: figure, value, ceiling, ratio, target, and whether met.
row() {
  awk -v label="$1" -v v="$2" -v unit="$3" -v c="$4" -v target="$5" -v check="$6" 'BEGIN {
    ratio = (c > 0) ? sprintf("%.1f%%", 100 * v / c) : "-"
    met = "-"
    if (check == "ratio50") met = (v / c >= 0.5) ? "yes" : "no"
    if (check == "lt200") met = (v < 200) ? "yes" : "no"
    if (check == "lt256") met = (v < 256) ? "yes" : "no"
    if (check == "le2") met = (v <= 2) ? "yes" : "no"
    printf "| %s | %s %s | %s | %s | %s | %s |\n", label, (v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v)), unit, (c > 0 ? sprintf("%.0f", c) : "-"), ratio, target, met
  }'
}

nosync="$(awk -v a="$(value rocksdb_ingest_nosync)" -v b="$(value rocksdb_ingest_nosync_after)" \
  'BEGIN { print (b > a ? b : a) }')"
disk_ratio_origin="$(awk -v d="$(value disk_bytes_per_entry_origin)" -v r="$(value raw_entry_bytes_origin)" 'BEGIN { printf "%.3f", d / r }')"
disk_ratio_receiver="$(awk -v d="$(value disk_bytes_per_entry_receiver)" -v r="$(value raw_entry_bytes_receiver)" 'BEGIN { printf "%.3f", d / r }')"
# YREB_BENCH_COMMIT names the source when it is an export rather than a checkout.
commit="${YREB_BENCH_COMMIT:-$(git -C "$source_dir" rev-parse HEAD)}"

{
  echo
  if [[ ${#override[@]} -gt 0 ]]; then
    echo "## Run of $started, $mode mode with sizes from the command line"
  else
    echo "## Run of $started, $mode mode"
  fi
  echo
  echo "- Command: \`$command_line\`"
  echo "- Commit: \`$commit\`"
  echo "- Machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
    "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory"
  echo "- Load average (1, 5, 15 min): $load_before before, $load_after after"
  echo "- Sizes: import $import_rows rows; backlog $backlog_rows entries; large log" \
    "$(value large_log_entries) entries; $probes probes under $(printf '%.0f' "$(value background_load)") entries/s" \
    "of background load"
  echo
  echo "| figure | value | ceiling (same unit) | ratio | target | met |"
  echo "|---|---|---|---|---|---|"
  row "import (one file of $import_rows rows)" "$(value import_rate)" "entries/s" "$nosync" ">= 50% of RocksDB ingest" ratio50
  row "initial sync ($(value initial_sync_entries) entries)" "$(value initial_sync_rate)" "entries/s" "$nosync" ">= 50% of RocksDB ingest" ratio50
  row "catch-up ($(value catch_up_entries) entries)" "$(value catch_up_rate)" "entries/s" "$nosync" ">= 50% of RocksDB ingest" ratio50
  row "initial sync vs. plain gRPC stream" "$(value initial_sync_rate)" "entries/s" "$(value grpc_stream_plain)" "-" none
  row "propagation p50" "$(value propagation_p50)" "ms" 0 "-" none
  row "propagation p99" "$(value propagation_p99)" "ms" 0 "< 200 ms" lt200
  row "propagation max" "$(value propagation_max)" "ms" 0 "-" none
  row "peak RSS, origin" "$(value peak_rss_origin)" "MiB" 0 "< 256 MiB" lt256
  row "peak RSS, receiver" "$(value peak_rss_receiver)" "MiB" 0 "< 256 MiB" lt256
  row "disk / raw entry bytes, origin" "$disk_ratio_origin" "x" 0 "<= 2x" le2
  row "disk / raw entry bytes, receiver" "$disk_ratio_receiver" "x" 0 "<= 2x" le2
  echo
  if [[ "$mode" == quick ]]; then
    echo "Quick mode only checks that every step works: at its small sizes start-up"
    echo "costs dominate, and the targets apply to full mode."
    echo
  fi
  echo "Ceilings of this run: RocksDB WriteBatch ingest $(printf '%.0f' "$nosync") entries/s" \
    "without sync (the higher of $(printf '%.0f' "$(value rocksdb_ingest_nosync)") before and" \
    "$(printf '%.0f' "$(value rocksdb_ingest_nosync_after)") after the end-to-end steps) and $(printf '%.0f' "$(value rocksdb_ingest_sync)") with sync (batches of 1,000" \
    "entries of $(value entry_bytes_mean) bytes); Ed25519 $(printf '%.0f' "$(value ed25519_verify_all_cores)")" \
    "verifications/s on $(value verify_threads) threads; gRPC stream over loopback" \
    "$(printf '%.0f' "$(value grpc_stream_plain)") entries/s plain$( [[ -n "$(value grpc_stream_tls)" ]] && printf ' and %.0f with TLS' "$(value grpc_stream_tls)")."
  echo
  echo "All figures:"
  echo
  echo '```'
  cat "$results"
  echo '```'
  echo
  echo "Micro benchmarks:"
  echo
  echo '```'
  grep -E '^(BM_|Benchmark|-)' "$work/micro.txt" | grep -v '^-'
  echo '```'
} >"$work/section.md"

cat "$work/section.md"
if [[ "$record" == 1 ]]; then
  cat "$work/section.md" >>"$source_dir/BENCHMARKS.md"
  echo "run.sh: appended to $source_dir/BENCHMARKS.md" >&2
fi
