#!/usr/bin/env bash
# refused.sh — closed loop against a port nothing listens on: connbench's attempted/s beside
# refused-loop.c's (blocking connect()s), both on CPU 0, in paired rounds, each round in a
# fresh namespace. The question a user asks of a refusing target is how fast the kernel
# refuses; a generator that paused between attempts would answer with its own pause.
#
# usage: Benchmarks/refused/refused.sh [-s SECONDS] [-r ROUNDS] [-b CONNBENCH]
#   -s seconds per run (3);  -r rounds (5);  -b the connbench binary (.build/release/connbench)
# Needs root (ip netns) and a C compiler.
set -euo pipefail
S=3 R=5 B=.build/release/connbench
while getopts "s:r:b:" o; do
  case $o in s) S=$OPTARG ;; r) R=$OPTARG ;; b) B=$OPTARG ;; *) sed -n 2,9p "$0"; exit 2 ;; esac
done
[ "$(id -u)" = 0 ] || { echo "refused.sh: needs root for ip netns"; exit 2; }
[ -x "$B" ] || { echo "refused.sh: no connbench at $B (swift build -c release)"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/cbrefused.XXXXXX)
ns=cbrefused$$
trap 'ip netns del $ns 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -o "$work/refused-loop" "$here/refused-loop.c"
col() { awk -F, -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} NR==2&&c{print $c}' "$1"; }
ratios=()
for r in $(seq "$R"); do
  ip netns add $ns && ip -n $ns link set lo up
  c=$(ip netns exec $ns taskset -c 0 timeout $((S + 10)) "$work/refused-loop" 9 "$S" | sed -E 's/.*rate=([0-9.]+).*/\1/')
  rm -rf "$work/out"
  ip netns exec $ns timeout $((S + 20)) "$B" --target 127.0.0.1:9 --rate max --workers 1 --cpus 0 \
    --duration "${S}s" --quiet --output "$work/out" >/dev/null 2>&1 || true
  s=$(col "$work/out/summary.csv" achieved_rate)
  ratio=$(awk -v a="$s" -v b="$c" 'BEGIN{printf "%.3f", a/b}')
  ratios+=("$ratio")
  echo "round $r: refused-loop $c/s, connbench $s/s attempted, ratio $ratio"
  ip netns del $ns
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END{print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')
echo "median ratio connbench/refused-loop = $median over $R rounds"
