#!/usr/bin/env bash
# refresh-results.sh — regenerates the curated reference runs in Results/ on this machine:
# builds the release binary if needed, runs a fixed, short list of runs, each into
# Results/<name>/ through connbench's own --output (a whole-folder write: the folder is
# replaced at once by that run's files), writes Results/<name>/fingerprint.txt
# (Benchmarks/fingerprint.sh: the command, the machine, the moment) beside it, and at
# the end regenerates the table in Results/README.md (Benchmarks/results-table.py).
#
# usage (as root, from the repository root):
#   Benchmarks/refresh-results.sh            # the short list: 8 runs, about 2–3 minutes
#   Benchmarks/refresh-results.sh --all      # also compare, the sweeps (knee, USL), exhaust, probe: ~5 more minutes
#   Benchmarks/refresh-results.sh --list     # print what would run, run nothing
#   Benchmarks/refresh-results.sh --only NAME[,NAME…]   # just these folders (then the table)
#   options: -b BINARY (default .build/release/connbench), --no-build, --no-table
#
# Every run is bounded (its --duration, and `timeout` around it); traffic goes only to
# loopback or to network namespaces connbench creates itself. Runs in the host namespace
# that close with FIN leave TIME_WAIT sockets behind for 60 s, which would slow the next
# run's connect(); so before each host-namespace run the script waits (at most 65 s) until
# fewer than 1000 are left, and orders the runs so that this wait happens once. Before
# each run it also waits (at most 20 s) for the CPUs to be mostly idle.
# Folders not in the list (reference-port-budget-150s, example-html with its report.png)
# are left untouched.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.build/release/connbench
ALL=0 LIST=0 BUILD=1 TABLE=1 ONLY=""
while [ $# -gt 0 ]; do
  case $1 in
    --all) ALL=1 ;;
    --list) LIST=1 ;;
    --only) ONLY=${2:?--only needs names}; shift ;;
    -b) BIN=${2:?-b needs a path}; shift ;;
    --no-build) BUILD=0 ;;
    --no-table) TABLE=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "refresh-results.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# The list: name | kind (host: host namespace, so wait for TIME_WAIT first; ns: in
# namespaces of its own) | the arguments after `connbench`. Namespaced runs first, then
# host runs closing with RST (they leave no TIME_WAIT), then the FIN runs.
RUNS=(
  "reference-after-onset|ns|--netns --sysctl net.ipv4.tcp_tw_reuse=0 --rate 20000 --duration 3s"
  "reference-onset-default-range|ns|--netns --sysctl net.ipv4.tcp_tw_reuse=0 --rate max --listener-close peer --until-exhausted --duration 10s"
  "reference-veth-v6|ns|--topology veth --family 6 --rate 20000 --close rst --duration 5s"
  "reference-max-rst|host|--rate max --close rst --duration 5s"
  "reference-rate50000-rst|host|--rate 50000 --close rst --duration 10s"
  "reference-rate20000-rst|host|--rate 20000 --close rst --duration 10s"
  "reference-rate20000|host|--rate 20000 --duration 10s"
  "reference-rate50000|host|--rate 50000 --duration 10s"
)
# --all: the long ones (each a minute or so). USL is two sweeps, assembled into one folder.
LONG=(
  "reference-compare-tw-reuse|ns|compare --sysctl net.ipv4.tcp_tw_reuse=0,1,2 --close fin --rate max --duration 3s"
  "reference-sweep-knee|host|sweep --rates auto --slo p99=1ms --close rst"
  "reference-usl|host|sweep --rate max --workers 1..4 --close rst ;; sweep --rate max --concurrency 1..64/x2 --workers 1 --close rst"
  "reference-exhaust|ns|exhaust"
  "reference-probe|ns|probe"
)
[ "$ALL" = 1 ] && RUNS+=("${LONG[@]}")
if [ -n "$ONLY" ]; then
  picked=()
  for r in "${RUNS[@]}" "${LONG[@]}"; do
    case ",$ONLY," in *",${r%%|*},"*) picked+=("$r") ;; esac
  done
  [ ${#picked[@]} -gt 0 ] || { echo "refresh-results.sh: --only $ONLY names no folder of the list (see --list)" >&2; exit 2; }
  RUNS=("${picked[@]}")
fi

if [ "$LIST" = 1 ]; then
  for r in "${RUNS[@]}"; do
    IFS='|' read -r name kind args <<<"$r"
    printf 'Results/%-30s %-4s connbench %s\n' "$name" "$kind" "$args"
  done
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "refresh-results.sh: run as root (--netns, --topology veth and --sysctl need it)" >&2; exit 1; }

if [ "$BUILD" = 1 ]; then
  if [ ! -x "$BIN" ] || [ -n "$(find Sources Package.swift -newer "$BIN" -print -quit)" ]; then
    echo "== swift build -c release"
    swift build -c release
  fi
  if [ -n "$(find Sources -newer "$BIN" -print -quit)" ]; then
    echo "refresh-results.sh: $BIN is older than the sources after the build (touch the changed files and build again)" >&2
    exit 1
  fi
fi
[ -x "$BIN" ] || { echo "refresh-results.sh: no binary at $BIN" >&2; exit 1; }

host_time_wait() { awk 'NR > 1 && $4 == "06" {n++} END {print n + 0}' /proc/net/tcp /proc/net/tcp6; }
wait_for_quiet_host() {
  local waited=0 tw
  tw=$(host_time_wait)
  while [ "$tw" -ge 1000 ] && [ "$waited" -lt 65 ]; do
    if [ "$waited" = 0 ]; then echo "   waiting for $tw TIME_WAIT sockets in the host namespace to expire (at most 65 s)"; fi
    sleep 5; waited=$((waited + 5)); tw=$(host_time_wait)
  done
  if [ "$waited" -gt 0 ]; then echo "   waited ${waited} s; $tw TIME_WAIT left"; fi
}

# Other work on the machine (builds, tests) takes CPU from the run: wait (at most 20 s)
# for a second in which less than 25% of all CPU time is busy. The fingerprint records
# how busy it was.
busy_pct() {
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat); sleep 1
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  echo "$a $b" | awk '{busy = $3 - $1; idle = $4 - $2; printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0}'
}
wait_for_idle_cpu() {
  local waited=0 b
  b=$(busy_pct)
  while [ "$b" -ge 25 ] && [ "$waited" -lt 20 ]; do
    sleep 1; waited=$((waited + 2)); b=$(busy_pct)
  done
  if [ "$b" -ge 25 ]; then echo "   the machine is busy (${b}% of CPU time in the last second): running anyway"; fi
}

# One connbench invocation, bounded: its own --duration plus a generous margin.
bounded() { timeout --signal=TERM --kill-after=15 "$1" "$BIN" "${@:2}"; }

started=$(date +%s)
for r in "${RUNS[@]}"; do
  IFS='|' read -r name kind args <<<"$r"
  out="Results/$name"
  echo "== $out: connbench $args"
  if [ "$kind" = host ]; then wait_for_quiet_host; fi
  wait_for_idle_cpu
  t0=$(date +%s)
  case $name in
    reference-usl)
      # Two sweeps, each written whole into a scratch folder, then assembled and swapped in.
      tmp="Results/.refresh-usl.$$"; rm -rf "$tmp" "$tmp.w" "$tmp.c"; mkdir -p "$tmp"
      w=${args%% ;; *}; c=${args##* ;; }
      Benchmarks/fingerprint.sh -c "connbench $w; connbench $c" >"$tmp/fingerprint.txt"
      # shellcheck disable=SC2086
      bounded 300 $w --output "$tmp.w" >/dev/null
      # shellcheck disable=SC2086
      bounded 300 $c --output "$tmp.c" >/dev/null
      for f in txt csv html; do
        if [ -f "$tmp.w/sweep.$f" ]; then cp "$tmp.w/sweep.$f" "$tmp/workers-sweep.$f"; fi
        if [ -f "$tmp.c/sweep.$f" ]; then cp "$tmp.c/sweep.$f" "$tmp/concurrency-sweep.$f"; fi
      done
      rm -rf "$tmp.w" "$tmp.c" "$out.old"
      if [ -d "$out" ]; then mv "$out" "$out.old"; fi
      mv "$tmp" "$out" && rm -rf "$out.old"
      ;;
    *)
      # The fingerprint is taken just before the run (its load average is the machine's
      # before this run) and written into the folder once connbench has replaced it.
      fp=$(Benchmarks/fingerprint.sh -c "connbench $args")
      # shellcheck disable=SC2086
      bounded 600 $args --output "$out" >/dev/null
      printf '%s\n' "$fp" >"$out/fingerprint.txt"
      ;;
  esac
  echo "   $(($(date +%s) - t0)) s"
done

if [ "$TABLE" = 1 ]; then
  python3 Benchmarks/results-table.py
fi
echo "== done in $(($(date +%s) - started)) s"
