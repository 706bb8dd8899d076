#!/usr/bin/env bash
# connbench on several hosts at once over plain ssh, merged into one report here.
#
#   TARGET=10.0.0.10:8080 RATE=30000 DURATION=60s deploy/ssh/run-many.sh gen1 gen2 gen3
#
# Each host needs connbench on its PATH and clocks in sync (chrony/NTP: --start-at is
# wall-clock time). Each takes RATE / number of hosts, tagged with its host name; the
# folders come back into ./runs-<stamp>/<host> and are merged into ./runs-<stamp>/merged.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: TARGET=HOST:PORT RATE=N [DURATION=60s] [LEAD=30] $0 HOST..." >&2; exit 64; }
: "${TARGET:?set TARGET=HOST:PORT}" "${RATE:?set RATE (total connects per second)}"
DURATION=${DURATION:-60s}
LEAD=${LEAD:-30}                       # seconds for ssh to reach every host before the start
hosts=("$@")
per=$(( RATE / ${#hosts[@]} ))
start=$(( $(date +%s) + LEAD ))        # Unix seconds: --start-at takes them as they are
stamp=$(date -u +%Y%m%dT%H%M%SZ)
remote=/tmp/connbench-$stamp
local=runs-$stamp
mkdir -p "$local"

pids=()
for h in "${hosts[@]}"; do
    ssh -o BatchMode=yes "$h" connbench run --target "$TARGET" --rate "$per" --duration "$DURATION" \
        --tag "$h" --start-at "$start" --output "$remote" > "$local/$h.out" 2>&1 &
    pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "${hosts[$i]}: connbench failed, see $local/${hosts[$i]}.out" >&2; failed=1; }
done
[ "$failed" = 0 ] || exit 1
for h in "${hosts[@]}"; do scp -q -r "$h:$remote" "$local/$h"; done
connbench merge "${hosts[@]/#/$local/}" --output "$local/merged"
echo "merged report: $local/merged/summary.txt" >&2
