#!/usr/bin/env bash
# `causeway --check --config FILE`: a valid config passes; a config with errors exits
# non-zero and names the offending key path and its line.
# Needs CW_CAUSEWAY_BIN and CW_CAUSEWAY_CONFIG (a working config to start from).
# Ends with `check_config: N passed, N failed`; exit status 1 on any failure.
set -uo pipefail

BIN=${CW_CAUSEWAY_BIN:?CW_CAUSEWAY_BIN is required}
GOOD=${CW_CAUSEWAY_CONFIG:?CW_CAUSEWAY_CONFIG is required}

passed=0 failed=0
work=$(mktemp -d /tmp/cw-itest-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  shift
  local line
  for line in "$@"; do printf '    %s\n' "$line"; done
}

# check_bad NAME FILE KEY: --check must fail, and its output must name KEY and the line
# of the first line in FILE that matches the marker comment "# <-- bad".
check_bad() {
  local name=$1 file=$2 key=$3 line out rc
  line=$(grep -n -- '# <-- bad' "$file" | head -n 1 | cut -d: -f1)
  out=$(timeout 30 "$BIN" --check --config "$file" 2>&1)
  rc=$?
  # The line as "FILE:LINE:COL", "(LINE:COL)" or "line LINE".
  if ((rc != 0)) && [[ "$out" == *"$key"* ]] &&
    grep -Eq "(:$line:|\($line:|line $line([^0-9]|$))" <<<"$out"; then
    pass "$name: exit $rc, names $key and line $line"
  else
    fail "$name: wanted non-zero exit naming '$key' and line $line" "exit $rc" "$out"
  fi
}

out=$(timeout 30 "$BIN" --check --config "$GOOD" 2>&1)
rc=$?
if ((rc == 0)); then
  pass "--check on the test config exits 0"
else
  fail "--check on the test config exits 0" "exit $rc" "$out"
fi

# servers[0].port: not a number. The marker comment lets the test find the line.
awk '
  /^servers:/ { in_servers = 1 }
  in_servers && /port:/ && !done { sub(/port:.*/, "port: abc   # <-- bad"); done = 1 }
  { print }
' "$GOOD" >"$work/bad-port.yaml"
if grep -q 'port: abc' "$work/bad-port.yaml"; then
  check_bad "non-numeric port" "$work/bad-port.yaml" "servers[0].port"
else
  fail "non-numeric port" "could not find a servers port line in $GOOD to corrupt"
fi

# An unknown top-level key.
{ cat "$GOOD"; echo "no_such_setting: 1   # <-- bad"; } >"$work/bad-key.yaml"
check_bad "unknown top-level key" "$work/bad-key.yaml" "no_such_setting"

# Not YAML at all.
printf 'listeners: [\n  {name: main,   # <-- bad\n' >"$work/bad-yaml.yaml"
out=$(timeout 30 "$BIN" --check --config "$work/bad-yaml.yaml" 2>&1)
rc=$?
if ((rc != 0)); then
  pass "malformed YAML exits $rc"
else
  fail "malformed YAML must exit non-zero" "$out"
fi

out=$(timeout 30 "$BIN" --check --config "$work/does-not-exist.yaml" 2>&1)
rc=$?
if ((rc != 0)) && [[ "$out" == *does-not-exist.yaml* ]]; then
  pass "missing file exits $rc and names the file"
else
  fail "missing file must exit non-zero naming the file" "exit $rc" "$out"
fi

echo "check_config: $passed passed, $failed failed"
((failed == 0))
