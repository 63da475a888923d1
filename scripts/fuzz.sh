#!/usr/bin/env bash
# Coverage-guided fuzzing: builds build-fuzz (clang, -DCKPT_FUZZ=ON: libFuzzer + ASan + UBSan,
# fuzz targets only) and runs every target of fuzz/ for SECONDS on a scratch copy of its
# corpus (fuzz/corpus/<target>/ plus fuzz/regressions/<target>/; the committed corpus is not
# grown), with its dictionary fuzz/dicts/<target>.dict.
#
# Usage: scripts/fuzz.sh [SECONDS]   (default: $CKPT_FUZZ_SECONDS, else 20)
#   CKPT_FUZZ_BUILD_DIR=build-asan    uses that CKPT_FUZZ build instead of configuring build-fuzz.
#   CKPT_FUZZ_TARGETS="table bundle"  runs only those targets.
#   CKPT_FUZZ_BUDGET=cpu              SECONDS is CPU time of the target (for long runs on a
#                                     shared or niced machine), not wall time.
#   CKPT_FUZZ_TIMEOUT=30              the per-input limit in wall seconds (default 5). On a
#                                     loaded machine a niced target gets a small share of a
#                                     core, so inputs that take well under 5 CPU seconds can
#                                     pass 5 wall seconds: raise it there.
# Fails on any crash, sanitizer report, leak, input slower than the limit or allocation over
# 2 GiB; the input is left in build-fuzz/artifacts/<target>/ and the replay command printed
# (for a timeout, with the CPU seconds the input takes when replayed alone). Logs:
# build-fuzz/fuzz-logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-${CKPT_FUZZ_SECONDS:-20}}
TIMEOUT=${CKPT_FUZZ_TIMEOUT:-5}
if [[ -n ${CKPT_FUZZ_BUILD_DIR:-} ]]; then
  # A build configured with -DCKPT_FUZZ=ON elsewhere (scripts/test.sh's ASan build, which also
  # holds the tests): only its fuzz targets are brought up to date.
  BUILD_DIR=$CKPT_FUZZ_BUILD_DIR
  grep -q "^CKPT_FUZZ:BOOL=ON" "$BUILD_DIR/CMakeCache.txt" ||
    { echo "fuzz.sh: $BUILD_DIR is not a -DCKPT_FUZZ=ON build" >&2; exit 2; }
  ninja -C "$BUILD_DIR" $(ls fuzz/*_fuzzer.cc | sed 's|fuzz/\(.*\)\.cc|\1|')
else
  BUILD_DIR=build-fuzz
  export CC=${CKPT_FUZZ_CC:-clang} CXX=${CKPT_FUZZ_CXX:-clang++}
  BUILD_DIR=$BUILD_DIR scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCKPT_FUZZ=ON \
    -DCKPT_NATIVE_ARCH=OFF -DCKPT_BUILD_TESTS=OFF -DCKPT_BUILD_BENCHMARKS=OFF \
    -DCKPT_BUILD_EXAMPLES=OFF -DCKPT_BUILD_CLI=OFF -DCKPT_BUILD_TEST_TOOLS=OFF \
    -DCKPT_BUILD_PYTHON=OFF -DCKPT_INSTALL=OFF
fi

targets=${CKPT_FUZZ_TARGETS:-$(ls fuzz/*_fuzzer.cc | sed 's|fuzz/\(.*\)_fuzzer.cc|\1|')}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$BUILD_DIR/fuzz-logs"
failed=()
printf '%-18s %12s %10s  %s\n' target executions cpu_s result
for t in $targets; do
  bin=$BUILD_DIR/fuzz/${t}_fuzzer
  [[ -x $bin ]] || { echo "no fuzz target $bin" >&2; exit 2; }
  scratch=$BUILD_DIR/fuzz-corpus/$t
  artifacts=$BUILD_DIR/artifacts/$t
  log=$BUILD_DIR/fuzz-logs/$t.log
  rm -rf "$scratch" "$artifacts" && mkdir -p "$scratch" "$artifacts"
  cp -r fuzz/corpus/"$t"/. "$scratch"/ 2>/dev/null || true
  seeds=("$scratch")
  [[ -d fuzz/regressions/$t ]] && seeds+=("fuzz/regressions/$t")
  dict=()
  [[ -f fuzz/dicts/$t.dict ]] && dict=("-dict=fuzz/dicts/$t.dict")
  TIMEFORMAT='%U %S'
  rc=0
  if [[ ${CKPT_FUZZ_BUDGET:-wall} == cpu ]]; then
    # The target runs until it has used SECONDS_EACH CPU seconds; then SIGINT makes libFuzzer
    # print its final stats and exit with -interrupt_exit_code (here 0).
    { time (
        "$bin" -rss_limit_mb=2048 -timeout="$TIMEOUT" -max_total_time=$((SECONDS_EACH * 100)) \
          -print_final_stats=1 -artifact_prefix="$artifacts/" \
          "${dict[@]}" "${seeds[@]}" >"$log" 2>&1 &
        pid=$!
        tick=$(getconf CLK_TCK)
        stopped=0
        while kill -0 "$pid" 2>/dev/null; do
          read -r -a st <"/proc/$pid/stat" 2>/dev/null || break
          if (((st[13] + st[14]) / tick >= SECONDS_EACH)); then
            kill -INT "$pid"
            stopped=1
            break
          fi
          sleep 2
        done
        r=0
        wait "$pid" || r=$?
        # libFuzzer exits 72 when SIGINT stops it (this version has no -interrupt_exit_code):
        # the budget ran out, which is success when it left no crashing input behind.
        if ((stopped && r == 72)) && ! compgen -G "$artifacts/*" >/dev/null; then r=0; fi
        exit $r
      ) || rc=$?; } 2>"$log.time"
  else
    { time "$bin" -rss_limit_mb=2048 -timeout="$TIMEOUT" -max_total_time="$SECONDS_EACH" \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" "${seeds[@]}" \
        >"$log" 2>&1 || rc=$?; } 2>"$log.time"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cpu=$(awk '{printf "%.1f", $1 + $2}' "$log.time")
  if [[ $rc -eq 0 ]]; then
    printf '%-18s %12s %10s  %s\n' "$t" "${execs:-?}" "$cpu" ok
  else
    printf '%-18s %12s %10s  %s\n' "$t" "${execs:-?}" "$cpu" "FAILED (exit $rc)"
    failed+=("$t")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|fuzz check failed|.*Test unit written)' \
      "$log" | head -5 | sed 's/^/    /' || true
    for a in "$artifacts"/*; do
      [[ -f $a ]] || continue
      echo "    replay: $bin $a"
      if [[ $(basename "$a") == timeout-* ]]; then
        replay_cpu=$({ time "$bin" -rss_limit_mb=2048 "$a" >/dev/null 2>&1; } 2>&1 |
          awk '{printf "%.1f", $1 + $2}') || true
        echo "    replayed alone it took ${replay_cpu:-?} CPU seconds"
      fi
      echo "    keep as a regression: cp $a fuzz/regressions/$t/"
    done
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failures in: ${failed[*]} (logs in $BUILD_DIR/fuzz-logs/)" >&2
  exit 1
fi
echo "fuzz: every target ran ${SECONDS_EACH}s without a finding"
