#!/usr/bin/env bash
# `causeway --explain "SQL" --config FILE`: classification, hint, matched rule and the
# routing decision for one statement, without a running server. Writes its own config
# with rules; also explains one statement against CW_CAUSEWAY_CONFIG if it is set.
# Needs CW_CAUSEWAY_BIN. Ends with `explain: N passed, N failed`; exit status 1 on any failure.
set -uo pipefail

BIN=${CW_CAUSEWAY_BIN:?CW_CAUSEWAY_BIN is required}

passed=0 failed=0
work=$(mktemp -d /tmp/cw-itest-explain.XXXXXX)
trap 'rm -rf "$work"' EXIT

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  shift
  local line
  for line in "$@"; do printf '    %s\n' "$line"; done
}

cfg=$work/explain.yaml
cat >"$cfg" <<'YAML'
listeners:
  - port: 16033
servers:
  - name: db1
    role: primary
  - name: db2
    role: replica
  - name: db3
    role: replica
users:
  - name: app
    password: app
routing:
  read_write_split: true
rules:
  - name: no_ddl_for_app
    user: app
    class: ddl
    reject: "DDL is not allowed for app"
  - name: reports_on_db3
    client: 10.0.0.0/8
    digest: '^select .* from orders'
    route: server:db3
    consistency: eventual
  - name: audit_on_primary
    match: '(?i)\bFROM\s+audit_log\b'
    route: primary
YAML

# expect NAME EXPECTED_EXIT "SQL" [ARGS...] -- PATTERN...: each PATTERN (a grep -E regex)
# must match a line of the output.
expect() {
  local name=$1 want_rc=$2 sql=$3 out rc pattern missing=()
  shift 3
  local args=()
  while (($#)) && [[ "$1" != -- ]]; do args+=("$1"); shift; done
  shift
  out=$(timeout 30 "$BIN" --explain "$sql" --config "$cfg" "${args[@]}" 2>&1)
  rc=$?
  for pattern in "$@"; do
    grep -Eq -- "$pattern" <<<"$out" || missing+=("$pattern")
  done
  if ((rc == want_rc && ${#missing[@]} == 0)); then
    pass "$name"
  else
    fail "$name" "exit $rc (wanted $want_rc)" "${missing[@]/#/missing: }" "$out"
  fi
}

expect "a plain read goes to a replica" 0 "SELECT * FROM t WHERE id = 1" -- \
  '^class: +read$' '^flags: +none$' '^replica-safe: +yes$' '^hint: +none$' \
  '^digest: +select \* from t where id = \?$' '^rule: +none \(3 rules\)$' \
  '^decision: +replica db[23] \(reason: read\)$'

expect "FOR UPDATE goes to the primary even when a rule names a replica" 0 \
  "SELECT * FROM orders WHERE id = 7 FOR UPDATE" --client 10.1.2.3 -- \
  '^flags: +locking_read$' '^replica-safe: +no$' '^rule: +reports_on_db3 \(rules\[1\]\)' \
  '^decision: +primary db1 \(reason: locking\)$'

expect "a digest and client rule sends a read to its server" 0 \
  "select *  from orders where id = 'abc'" --client 10.1.2.3 -- \
  '^session: +user=\(none\) schema=\(none\) client=10\.1\.2\.3$' \
  '^rule: +reports_on_db3 \(rules\[1\]\): route=server:db3 consistency=eventual$' \
  '^consistency: +eventual \(from rule reports_on_db3\)$' \
  '^decision: +server db3 \(reason: rule_server\)$'

expect "the client rule does not match another network" 0 \
  "SELECT * FROM orders WHERE id = 7" --client 192.168.1.1 -- \
  '^rule: +none' '^decision: +replica db[23] \(reason: read\)$'

expect "a reject rule refuses DDL from its user" 0 "DROP TABLE t" --user app -- \
  '^class: +ddl$' '^flags: +implicit_commit$' \
  '^rule: +no_ddl_for_app \(rules\[0\]\): reject "DDL is not allowed for app"$' \
  '^decision: +reject \(reason: rule_reject\): the client gets ERR "DDL is not allowed for app"$'

expect "DDL from another user goes to the primary" 0 "DROP TABLE t" --user admin -- \
  '^rule: +none' '^decision: +primary db1 \(reason: ddl\)$'

expect "a regex rule on the statement text" 0 "select * from AUDIT_LOG" -- \
  '^rule: +audit_on_primary \(rules\[2\]\): route=primary$' \
  '^decision: +primary db1 \(reason: rule_primary\)$'

expect "a hint comes before the rules" 0 \
  "/* causeway: route=replica consistency=strong */ SELECT * FROM audit_log" -- \
  '^flags: +has_hint$' '^hint: +route=replica consistency=strong$' \
  '^rule: +audit_on_primary' '^consistency: +strong \(from the hint\), scope global, waits up to 1000 ms for a replica$' \
  '^decision: +replica db[23] \(reason: hint_replica\)$'

expect "a hint never sends a write to a replica" 0 \
  "/* causeway: route=replica */ INSERT INTO t VALUES (1)" -- \
  '^class: +write$' '^decision: +primary db1 \(reason: write\)$'

expect "a bad hint is shown with its error" 0 "/* causeway: route=nowhere */ SELECT 1" -- \
  '^hint: +error: route must be primary, replica or server:NAME at "route=nowhere"' \
  '^decision: +replica db[23] \(reason: read\)$'

expect "session variables keep a read on the primary" 0 "SELECT @@server_id, LAST_INSERT_ID()" -- \
  '^flags: +.*session_variable_read' '^flags: +.*last_insert_id' \
  '^decision: +primary db1 \(reason: side_effect\)$'

expect "a bad --client is a usage error" 2 "SELECT 1" --client not-an-ip -- \
  'not an IP address: not-an-ip'

# A config error is reported as --check reports it.
bad=$work/bad.yaml
sed 's/class: ddl/class: dd1/' "$cfg" >"$bad"
out=$(timeout 30 "$BIN" --explain "SELECT 1" --config "$bad" 2>&1)
rc=$?
if ((rc == 1)) && grep -q 'rules\[0\].class' <<<"$out" && grep -q 'did you mean "ddl"' <<<"$out"; then
  pass "a config error stops --explain with the key path"
else
  fail "a config error stops --explain with the key path" "exit $rc" "$out"
fi

if [[ -n "${CW_CAUSEWAY_CONFIG:-}" ]]; then
  out=$(timeout 30 "$BIN" --explain "SELECT 1" --config "$CW_CAUSEWAY_CONFIG" 2>&1)
  rc=$?
  if ((rc == 0)) && grep -Eq '^decision: +(primary|replica|server) ' <<<"$out"; then
    pass "--explain with the suite's config"
  else
    fail "--explain with the suite's config" "exit $rc" "$out"
  fi
fi

echo "explain: $passed passed, $failed failed"
((failed == 0))
