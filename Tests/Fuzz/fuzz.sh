#!/usr/bin/env bash
# Builds connbench's fuzzer and runs libFuzzer on one reader of outside input at a time.
#
#   Tests/Fuzz/fuzz.sh list                  the targets
#   Tests/Fuzz/fuzz.sh run TARGET [SECONDS]  fuzz one target (default 600 s), seeded from
#                                            Corpus/TARGET; new inputs collect in
#                                            .build/corpus/TARGET, a crash in .build/crashes
#   Tests/Fuzz/fuzz.sh keep TARGET           add to Corpus/TARGET the collected inputs that
#                                            reach code its files do not (libFuzzer -merge=1)
#   Tests/Fuzz/fuzz.sh replay [TARGET]       every kept input once through the fuzzer build
#                                            (the unit tests replay them on every `swift test`)
#
# One target at a time: a fuzzer takes a whole core. A crash's input is a unit test to write
# (FuzzRegressionTests), then the fix; the crash file itself goes into Corpus/TARGET.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
bin="$here/.build/release/connbench-fuzz"
targets=(report-json hlog kernel-trace proc command-line messages)

build() {
  # Coverage and AddressSanitizer in every module; lld, because gold fails on the result.
  swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >&2
}

known() {
  for t in "${targets[@]}"; do [ "$t" = "$1" ] && return 0; done
  echo "fuzz.sh: no target '$1' (targets: ${targets[*]})" >&2
  exit 64
}

case "${1:-}" in
  list)
    printf '%s\n' "${targets[@]}"
    ;;
  run)
    target="${2:?fuzz.sh run TARGET [SECONDS]}"; known "$target"
    seconds="${3:-600}"
    build
    mkdir -p ".build/corpus/$target" .build/crashes .build/logs
    log=".build/logs/$target.log"
    echo "fuzz.sh: $target for $seconds s; log $log" >&2
    status=0
    CONNBENCH_FUZZ_TARGET="$target" "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
      -print_final_stats=1 -artifact_prefix=".build/crashes/$target-" \
      ".build/corpus/$target" "Corpus/$target" >"$log" 2>&1 || status=$?
    # libFuzzer's summary: the last coverage line, the run count and the final stats.
    grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^Done [0-9]+ runs|^stat::' "$log" | tail -n 8
    grep -E '^==[0-9]+==ERROR|^SUMMARY|Fatal error|artifact_prefix|Test unit written' "$log" || true
    exit "$status"
    ;;
  keep)
    target="${2:?fuzz.sh keep TARGET}"; known "$target"
    build
    CONNBENCH_FUZZ_TARGET="$target" "$bin" -merge=1 "Corpus/$target" ".build/corpus/$target" 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' || true
    ;;
  replay)
    build
    for target in "${@:2}"; do known "$target"; done
    for target in ${2:-${targets[@]}}; do
      echo "fuzz.sh: replay $target ($(ls "Corpus/$target" | wc -l) inputs)" >&2
      CONNBENCH_FUZZ_TARGET="$target" "$bin" -runs=0 "Corpus/$target" 2>&1 | grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' | tail -n 1
    done
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
    ;;
esac
