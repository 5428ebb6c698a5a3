#!/usr/bin/env bash
# deploy/test.sh — causeway's whole test suite, as CI runs it on a fresh machine.
#
#   deploy/test.sh [--skip-fuzz] [--skip-integration] [--only deps|build|unit|fuzz|integration]
#
# Steps: deps (deploy/install-deps.sh), build (CMake + Ninja in build/), unit (ctest),
# fuzz (libFuzzer targets built with clang in build-fuzz/, FUZZ_SECONDS each, default 20),
# integration (tests/integration/run.sh against real MariaDB servers). --only runs one
# step plus what it needs (unit and integration need deps and build; fuzz needs deps).
# Each step's output is shown and also kept in build-logs/<step>.log. Ends with a table
# of step results and the line "N passed, N failed"; exits non-zero if any step failed.
#
# Environment: FUZZ_SECONDS (per fuzz target, default 20), INTEGRATION_TIMEOUT (seconds,
# default 1200), BUILD_JOBS (default 2).
set -euo pipefail

deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$deploy_dir")
cd "$repo_root"

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-1200}
BUILD_JOBS=${BUILD_JOBS:-2}
[[ "$FUZZ_SECONDS" =~ ^[0-9]+$ && "$INTEGRATION_TIMEOUT" =~ ^[0-9]+$ && "$BUILD_JOBS" =~ ^[1-9][0-9]*$ ]] || {
  echo "test.sh: FUZZ_SECONDS, INTEGRATION_TIMEOUT and BUILD_JOBS must be whole numbers" >&2
  exit 2
}

# shellcheck source=deploy/lib.sh
source "$deploy_dir/lib.sh"
CW_PROG=test.sh
usage() { cw_usage "${BASH_SOURCE[0]}" "$@"; }

steps=(deps build unit fuzz integration)
declare -A title=(
  [deps]="dependencies: deploy/install-deps.sh"
  [build]="configure + build: build/ (RelWithDebInfo, Ninja)"
  [unit]="unit tests: ctest --test-dir build"
  [fuzz]="fuzz: build-fuzz/ (clang, libFuzzer), ${FUZZ_SECONDS}s per target"
  [integration]="integration: tests/integration/run.sh --build build"
)
declare -A needs=([deps]="" [build]="deps" [unit]="build" [fuzz]="deps" [integration]="build")
declare -A selected=() result=() elapsed=() detail=()

skip_fuzz=0 skip_integration=0 only=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --skip-fuzz) skip_fuzz=1; shift ;;
  --skip-integration) skip_integration=1; shift ;;
  --only)
    [[ $# -ge 2 && -n "${title[$2]:-}" ]] || { echo "test.sh: --only needs one of: ${steps[*]}" >&2; exit 2; }
    only=$2; shift 2 ;;
  -h | --help) usage 0 ;;
  *) echo "test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Selection: everything, or the --only step and its prerequisites.
select_with_needs() {
  local s=$1 n
  selected[$s]=1
  for n in ${needs[$s]}; do select_with_needs "$n"; done
}
if [[ -n "$only" ]]; then
  select_with_needs "$only"
else
  for s in "${steps[@]}"; do selected[$s]=1; done
fi
((skip_fuzz)) && unset 'selected[fuzz]'
((skip_integration)) && unset 'selected[integration]'

log_dir="$repo_root/build-logs" # matches /build*/ in .gitignore
mkdir -p "$log_dir"

# ---------------------------------------------------------------- steps
# Each runs in a subshell with errexit on; it may write a one-line summary to
# "$detail_file".

step_deps() { "$deploy_dir/install-deps.sh"; }

step_build() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j"$BUILD_JOBS"
}

step_unit() {
  # Integration tests (if any are registered with ctest under that label) need the
  # sandbox and run in their own step. No tests at all is a failure, not a pass.
  ctest --test-dir build --output-on-failure --no-tests=error -j"$BUILD_JOBS" \
    --timeout 600 -LE integration
}

step_fuzz() {
  cmake -S . -B build-fuzz -G Ninja -DCAUSEWAY_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
  cmake --build build-fuzz -j"$BUILD_JOBS"

  local exe targets=()
  for exe in build-fuzz/tests/fuzz/fuzz_*; do
    [[ -f "$exe" && -x "$exe" ]] && targets+=("$exe")
  done
  if ((${#targets[@]} == 0)); then
    echo "no fuzz_* executables in build-fuzz/tests/fuzz"
    echo "no targets" >"$detail_file"
    return 1
  fi

  # Corpora are copied so that the inputs libFuzzer adds never land in the repository.
  local name short corpus artifacts log crashed=()
  # Not local: the EXIT trap (this step runs in its own subshell) runs after return.
  fuzz_work=$(mktemp -d)
  trap 'rm -rf "$fuzz_work"' EXIT
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
  for exe in "${targets[@]}"; do
    name=${exe##*/} short=${name#fuzz_}
    corpus="$fuzz_work/corpus-$short" artifacts="build-fuzz/artifacts/$name" log="$fuzz_work/$name.log"
    rm -rf "$artifacts" # only this run's reproducers
    mkdir -p "$corpus" "$artifacts"
    [[ -d "tests/fuzz/corpus/$short" ]] && cp -R "tests/fuzz/corpus/$short/." "$corpus/"
    echo "-- $name: ${FUZZ_SECONDS}s, $(find "$corpus" -type f | wc -l) seed input(s)"
    # libFuzzer's progress lines run to thousands: keep them in a file, show the end.
    # The outer timeout only catches a fuzzer that ignores -max_total_time.
    if timeout -k 10 $((FUZZ_SECONDS + 300)) "$exe" -max_total_time="$FUZZ_SECONDS" \
      -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$repo_root/$artifacts/" "$corpus" >"$log" 2>&1; then
      grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$log" || tail -n 3 "$log"
    else
      crashed+=("$name")
      tail -n 60 "$log"
      echo "!! $name failed; reproducer(s) in $artifacts/:"
      ls -1 "$artifacts"
    fi
  done
  echo "${#targets[@]} target(s), ${#crashed[@]} failed${crashed[*]:+: ${crashed[*]}}" >"$detail_file"
  ((${#crashed[@]} == 0))
}

step_integration() {
  local runner=tests/integration/run.sh
  if [[ ! -f "$runner" ]]; then
    echo "$runner is missing"
    echo "runner missing" >"$detail_file"
    return 1
  fi
  local rc=0 line
  local -a run=(bash "$runner")
  [[ -x "$runner" ]] && run=("./$runner")
  timeout -k 30 "$INTEGRATION_TIMEOUT" "${run[@]}" --build build 2>&1 |
    tee "$detail_file.out" || rc=$?
  ((rc != 124)) || echo "integration run killed after ${INTEGRATION_TIMEOUT}s"
  line=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed' "$detail_file.out" | tail -n 1 || true)
  rm -f "$detail_file.out"
  echo "${line:-no summary line}" >"$detail_file"
  # A runner that reports failures fails the step even if its exit status says otherwise.
  [[ "$line" =~ ,\ ([0-9]+)\ failed ]] && ((BASH_REMATCH[1] > 0)) && rc=1
  return "$rc"
}

# ---------------------------------------------------------------- driver

total=0
for s in "${steps[@]}"; do [[ -n "${selected[$s]:-}" ]] && total=$((total + 1)); done
n=0
for s in "${steps[@]}"; do
  if [[ -z "${selected[$s]:-}" ]]; then
    result[$s]=skipped
    continue
  fi
  n=$((n + 1))
  blocked=""
  for dep in ${needs[$s]}; do
    [[ "${result[$dep]:-}" == passed ]] || blocked=$dep
  done
  printf '\n%s\n== [%d/%d] %s\n%s\n' "$(printf '=%.0s' {1..78})" "$n" "$total" "${title[$s]}" \
    "$(printf '=%.0s' {1..78})"
  if [[ -n "$blocked" ]]; then
    echo "not run: step '$blocked' did not pass"
    result[$s]=blocked detail[$s]="needs $blocked" elapsed[$s]=0
    continue
  fi
  detail_file="$log_dir/$s.detail"
  rm -f "$detail_file"
  start=$SECONDS
  # errexit is re-enabled inside the subshell: it would be ignored there if the subshell
  # were the left side of || or an if condition.
  set +e
  (
    set -euo pipefail
    "step_$s"
  ) 2>&1 | tee "$log_dir/$s.log"
  rc=${PIPESTATUS[0]}
  set -e
  elapsed[$s]=$((SECONDS - start))
  if ((rc == 0)); then result[$s]=passed; else result[$s]=failed; fi
  [[ -s "$detail_file" ]] && detail[$s]=$(<"$detail_file")
  rm -f "$detail_file"
  echo "== $s: ${result[$s]} (${elapsed[$s]}s)"
done

passed=0 failed=0
printf '\n%s\n== summary (logs in %s)\n' "$(printf '=%.0s' {1..78})" "${log_dir#"$repo_root"/}/"
printf '%-12s %-8s %7s  %s\n' STEP RESULT TIME DETAIL
for s in "${steps[@]}"; do
  case "${result[$s]}" in
  passed) passed=$((passed + 1)) ;;
  failed | blocked) failed=$((failed + 1)) ;; # a step that could not run did not pass
  esac
  t=-
  [[ -n "${elapsed[$s]:-}" ]] && t="${elapsed[$s]}s"
  printf '%-12s %-8s %7s%s\n' "$s" "${result[$s]}" "$t" "${detail[$s]:+  ${detail[$s]}}"
done
echo "$passed passed, $failed failed"
((failed == 0))
