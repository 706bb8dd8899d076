#!/usr/bin/env bash
# compare-aa.sh — the false-positive rate of `connbench compare`: runs an A/A compare
# (the same setting twice) R times and counts how often it says "no significant
# difference". With 5 trials against 5 the exact Mann–Whitney interval has 96.8 %
# coverage, so a sound compare calls equal settings different in about 3 % of repeats.
# Each trial runs in its own fresh namespace (needs root).
#
# usage: Benchmarks/compare-aa.sh [-r REPEATS] [-d DURATION] [-t TRIALS] [-b CONNBENCH] [-- EXTRA compare ARGS]
#   -r  repeats (default 10)   -d  duration per trial (default 1s)   -t  trials per setting (default 5)
#   -b  the binary (default .build/release/connbench; `swift build -c release` first)
set -euo pipefail
R=10 D=1s T=5 BIN=.build/release/connbench
while getopts "r:d:t:b:" o; do
  case $o in r) R=$OPTARG ;; d) D=$OPTARG ;; t) T=$OPTARG ;; b) BIN=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
same=0
echo "A/A: --vary close=rst,rst --rate max --duration $D --trials $T, $R repeats"
printf '%-7s %-26s %-26s %-24s %-7s %s\n' repeat "A median [CI] /s" "B median [CI] /s" "B/A [CI]" p verdict
for i in $(seq 1 "$R"); do
  "$BIN" compare --vary close=rst,rst --rate max --duration "$D" --trials "$T" "$@" \
    --output "$work/$i" >"$work/$i.txt" 2>"$work/$i.err" || { cat "$work/$i.err" >&2; exit 1; }
  row() { awk -F, -v l="$1" -v col="$2" 'NR==1{for(i=1;i<=NF;i++) h[$i]=i} $1=="setting" && $3==l {print $h[col]}' "$work/$i/compare.csv"; }
  verdict=$(row B verdict)
  [ "$verdict" = "no significant difference" ] && same=$((same + 1))
  printf '%-7s %-26s %-26s %-24s %-7s %s\n' "$i" \
    "$(row A median | cut -d. -f1) [$(row A ci_low | cut -d. -f1)–$(row A ci_high | cut -d. -f1)]" \
    "$(row B median | cut -d. -f1) [$(row B ci_low | cut -d. -f1)–$(row B ci_high | cut -d. -f1)]" \
    "$(row B ratio) [$(row B ratio_ci_low)–$(row B ratio_ci_high)]" "$(row B p_value | cut -c1-5)" "$verdict"
done
echo "no significant difference in $same of $R A/A compares (false positives: $((R - same)))"
