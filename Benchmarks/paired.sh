#!/usr/bin/env bash
# paired.sh — closed-loop connect rates of several generators measured in paired rounds:
# each round makes a fresh namespace and one listener (connref's, as in ratio.sh), runs
# every variant once on it (the order rotates by round, so no variant always goes first),
# and the round's ratios to the first variant are taken. Single rounds still spread by
# ±7–11% on this machine (its speed drifts from one minute to the next); the median over
# 10–16 rounds pins a ratio to about ±3%, where ratio.sh's 3–5 rounds move by ±5–8%, and
# it compares connbench builds or flag sets with each other, which ratio.sh cannot.
#
# usage: Benchmarks/paired.sh [-w 1|2] [-m rst|fin] [-s SECONDS] [-r ROUNDS] VARIANT...
#   VARIANT  NAME=connuring | NAME=connref | NAME=BINARY[:CONNBENCH FLAGS]
#            e.g. ref=connuring "uring=.build/release/connbench:--engine io_uring"
#   -w 1     generator 1 worker on CPU 0, listener 1 thread on CPU 1 (default)
#   -w 2     generator 2 workers on CPUs 0,1, listener 2 SO_REUSEPORT threads on CPUs 0,1
#   -m       close with RST (default) or FIN;  -s seconds per run (5);  -r rounds (10)
# Needs root (ip netns) and a C compiler; connuring needs liburing-dev.
set -euo pipefail
W=1 M=rst S=5 R=10
while getopts "w:m:s:r:" o; do
  case $o in w) W=$OPTARG ;; m) M=$OPTARG ;; s) S=$OPTARG ;; r) R=$OPTARG ;; *) sed -n 2,16p "$0"; exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n 2,16p "$0"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "paired.sh: needs root for ip netns"; exit 2; }
perf=$(cd "$(dirname "$0")/../../shared/perf" 2>/dev/null && pwd) || { echo "paired.sh: no ../shared/perf"; exit 2; }
work=$(mktemp -d /tmp/cbpaired.XXXXXX)
ns=cbpaired$$
trap 'ip netns del $ns 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -pthread -o "$work/connref" "$perf/connref.c"
if printf '%s\n' "$@" | grep -q '=connuring$'; then
  [ -f /usr/include/liburing.h ] || apt-get install -y liburing-dev >/dev/null 2>&1
  cc -O2 -pthread -o "$work/connuring" "$perf/connuring.c" -luring
fi
if [ "$W" = 1 ]; then LST=(-c 1); CPUS=0; else LST=(-t 2 -P -c 0,1); CPUS=0,1; fi
col() { awk -F, -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} NR==2&&c{print $c}' "$1"; }

run() { # run VARIANT: prints the established connects per second
  local spec=${1#*=}
  case $spec in
    connuring|connref)
      ip netns exec $ns timeout $((S + 10)) "$work/$spec" -p 5001 -t "$W" -c $CPUS -k 16 -m "$M" -d "$S" -C \
        2>/dev/null | col /dev/stdin rate ;;
    *)
      local bin=${spec%%:*} flags=""; [ "$bin" != "$spec" ] && flags=${spec#*:}
      rm -rf "$work/out"
      # shellcheck disable=SC2086
      ip netns exec $ns timeout $((S + 20)) "$bin" --target 127.0.0.1:5001 --rate max --workers "$W" --cpus $CPUS \
        --concurrency 16 --close "$M" --duration "${S}s" --output "$work/out" $flags >/dev/null 2>&1 || true
      [ -f "$work/out/summary.csv" ] && col "$work/out/summary.csv" established_per_s ;;
  esac
}

variants=("$@")
n=${#variants[@]}
for r in $(seq "$R"); do
  ip netns add $ns && ip -n $ns link set lo up
  ip netns exec $ns timeout $(((S + 3) * n + 30)) "$work/connref" -l 5001 "${LST[@]}" -d $(((S + 3) * n + 20)) >/dev/null 2>&1 &
  lp=$!
  sleep 0.5
  line="round $r:"
  for k in $(seq 0 $((n - 1))); do
    v=${variants[$(((k + r) % n))]}
    rate=$(run "$v"); rate=${rate%%.*}
    echo "${v%%=*} ${rate:-nan} $r" >>"$work/rates"
    line="$line ${v%%=*}=${rate:-none}"
  done
  echo "$line"
  kill $lp 2>/dev/null; wait $lp 2>/dev/null || true
  ip netns del $ns
done
python3 - "$work/rates" "${variants[@]}" <<'PY'
import sys, statistics as st
rates = {}
for line in open(sys.argv[1]):
    name, v, r = line.split()
    rates.setdefault(name, {})[r] = float(v)
names = [a.split("=", 1)[0] for a in sys.argv[2:]]
base = rates[names[0]]
for name in names:
    mine = rates[name]
    ratios = [mine[r] / base[r] for r in mine if r in base and mine[r] == mine[r] and base[r] == base[r]]
    print(f"{name:12s} median {st.median(mine.values()):8.0f}/s  ratio to {names[0]}: median {st.median(ratios):.3f}"
          f" mean {st.mean(ratios):.3f} sd {st.pstdev(ratios):.3f} ({len(ratios)} rounds)")
PY
