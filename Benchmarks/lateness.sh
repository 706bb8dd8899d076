#!/usr/bin/env bash
# lateness.sh — how exactly connbench keeps an open-loop schedule: start lag (actual −
# intended start) at half the closed-loop ceiling, with and without --spin, and the CPU
# the spinning costs. One worker on CPU 0, the built-in listener on CPU 1, --close rst,
# each run in its own fresh namespace (needs root).
#
# usage: Benchmarks/lateness.sh [-s SECONDS] [-p SPIN] [-b CONNBENCH]
#   -s  seconds per run (default 5)    -p  the --spin value (default 200us)
#   -b  the binary (default .build/release/connbench; `swift build -c release` first)
set -euo pipefail
S=5 SPIN=200us BIN=.build/release/connbench
while getopts "s:p:b:" o; do
  case $o in s) S=$OPTARG ;; p) SPIN=$OPTARG ;; b) BIN=$OPTARG ;; *) exit 2 ;; esac
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
col() { awk -F, -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} NR==2&&c{print $c}' "$1"; }
common=(--netns --workers 1 --cpus 0 --listener-cpus 1 --listener-threads 1 --close rst --duration "${S}s")

"$BIN" "${common[@]}" --rate max --output "$work/max" >/dev/null 2>&1
ceiling=$(col "$work/max/summary.csv" established_per_s); ceiling=${ceiling%%.*}
rate=$((ceiling / 2))
echo "closed-loop ceiling ${ceiling}/s; open loop at ${rate}/s (half), ${S} s per run"
printf '%-12s %10s %10s %10s %10s %10s %8s %8s\n' mode achieved lag_p50_us lag_p99_us late_pct gap_p99_us busy_pct spin_pct
for mode in sleep spin; do
  extra=(); [ $mode = spin ] && extra=(--spin "$SPIN")
  "$BIN" "${common[@]}" --rate "$rate" "${extra[@]}" --output "$work/$mode" >"$work/$mode.txt" 2>&1
  f=$work/$mode/summary.csv
  attempts=$(col "$f" attempts); late=$(col "$f" late_starts)
  busy=$(grep -o 'busy [0-9.]*%' "$work/$mode.txt" | head -1 | tr -dc '0-9.')
  printf '%-12s %10s %10s %10s %10s %10s %8s %8s\n' "$mode${extra[1]:+ $SPIN}" "$(col "$f" achieved_rate)" \
    "$(col "$f" start_lag_p50_us)" "$(col "$f" start_lag_p99_us)" \
    "$(awk -v l="$late" -v a="$attempts" 'BEGIN{printf "%.2f", a ? 100*l/a : 0}')" \
    "$(col "$f" gap_p99_us)" "$busy" "$(col "$f" spin_pct)"
done
