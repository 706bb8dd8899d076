#!/usr/bin/env bash
# onset-rise.sh — does the observed exhaustion onset land where the port budget puts it?
# For each case (a port range and a rate, or closed loop), N runs, each in a fresh
# namespace (--netns) with tcp_tw_reuse=0 so every port the client closes stays in
# TIME_WAIT: the even half of the range runs out at attempt ports/2 + 1, and from there
# each connect() walks the used even ports before it takes an odd one. One line per run
# (predicted onset attempt and kind, observed attempt, signal, deviation), then a summary
# per case: runs within ±10% of the prediction, and the spread. Needs root.
#
# usage: Benchmarks/onset-rise.sh [-n RUNS] [-b CONNBENCH] [CASE…]
#   CASE is PORTS@RATE (e.g. 4000@2000) or PORTS@max (closed loop); the ranges start at
#   40000. Default: 4000@2000 2000@1000 2000@4000 2000@max 8000@1000 8000@4000 8000@max
#   -n  runs per case (default 5)
#   -b  the binary (default .build/release/connbench; `swift build -c release` first)
set -euo pipefail
N=5 BIN=.build/release/connbench
while getopts "n:b:" o; do
  case $o in n) N=$OPTARG ;; b) BIN=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(4000@2000 2000@1000 2000@4000 2000@max 8000@1000 8000@4000 8000@max)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
col() { awk -F, -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} NR==2&&c{print $c}' "$1"; }

# Seconds to run: the even half's time at the asked rate and a margin for the detector's
# three windows and the tail; closed loop uses the even half up within a second here.
duration() {
  local ports=$1 rate=$2
  if [ "$rate" = max ]; then echo 2; else awk -v p="$ports" -v r="$rate" 'BEGIN{printf "%.2f", p/2/r + 0.8}'; fi
}

printf '%-10s %3s %-13s %9s %9s %-18s %7s %8s\n' case run predicted attempt observed signal cost_x dev_pct
summary=()
for c in "${cases[@]}"; do
  ports=${c%@*} rate=${c#*@}
  high=$((40000 + ports - 1))
  d=$(duration "$ports" "$rate")
  within=0 devs=()
  for run in $(seq 1 "$N"); do
    out=$work/$c-$run
    timeout 60 "$BIN" --netns --sysctl "net.ipv4.ip_local_port_range=40000 $high" \
      --sysctl net.ipv4.tcp_tw_reuse=0 --rate "$rate" --duration "${d}s" --output "$out" >/dev/null 2>&1 || true
    line=$(grep -oE 'predicted onset [a-z ]+ at attempt [0-9]+' "$out/summary.txt" 2>/dev/null || true)
    predicted=${line##* } kind=$(sed -E 's/predicted onset (.*) at attempt.*/\1/' <<<"$line")
    factor=$(col "$out/summary.csv" onset_cost_factor 2>/dev/null || true)
    observed=$(col "$out/summary.csv" onset_attempt 2>/dev/null || true)
    signal=$(col "$out/summary.csv" onset_signal 2>/dev/null || true)
    dev=$(awk -v o="${observed:-0}" -v p="${predicted:-0}" 'BEGIN{if (p > 0 && o > 0) printf "%+.1f", 100*(o-p)/p; else print "n/a"}')
    if [ "$dev" != n/a ] && awk -v x="$dev" 'BEGIN{exit !(x <= 10 && x >= -10)}'; then within=$((within + 1)); fi
    devs+=("$dev")
    printf '%-10s %3s %-13s %9s %9s %-18s %7s %8s\n' "$c" "$run" "${kind:--}" "${predicted:--}" "${observed:--}" "${signal:--}" "${factor:--}" "$dev"
  done
  summary+=("$(printf '%-10s %d/%d within ±10%%; deviations %s' "$c" "$within" "$N" "${devs[*]}")")
done
echo
printf '%s\n' "${summary[@]}"
