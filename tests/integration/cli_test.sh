#!/usr/bin/env bash
# The `mariadb` command-line client against CW_HOST:CW_PORT: -e queries, batch mode fed
# a script on stdin, `source`, table output, errors and exit codes, --ssl.
# Ends with `cli: N passed, N failed`; exit status 1 on any failure.
set -uo pipefail

HOST=${CW_HOST:-127.0.0.1}
PORT=${CW_PORT:?CW_PORT is required}
USER_=${CW_USER:-app}
PASSWORD=${CW_PASSWORD:-app}
DB=${CW_DB:-demo}

passed=0 failed=0 skipped=0
work=$(mktemp -d /tmp/cw-itest-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT

# cli [ARGS...]: the client as CW_USER on CW_DB, no option files, TCP.
cli() {
  mariadb --no-defaults --protocol=tcp -h "$HOST" -P "$PORT" -u "$USER_" \
    --password="$PASSWORD" --connect-timeout=10 "$@" "$DB"
}

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  shift
  local line
  for line in "$@"; do printf '    %s\n' "$line"; done
}
skip() { skipped=$((skipped + 1)); echo "SKIP $1: $2"; }

# expect NAME EXPECTED_FILE ACTUAL_FILE
expect_same() {
  if diff -u "$2" "$3" >"$work/diff" 2>&1; then
    pass "$1"
  else
    fail "$1" "$(cat "$work/diff")"
  fi
}

# ------------------------------------------------------------------ -e queries

printf '2\ta b\n' >"$work/want"
cli -N -B -e "SELECT 1+1, 'a b'" >"$work/got" 2>&1
expect_same "-e single query, batch output" "$work/want" "$work/got"

printf '1\nx\n3\n' >"$work/want"
cli -N -B -e "SELECT 1; SELECT 'x'; SELECT 3" >"$work/got" 2>&1
expect_same "-e several statements" "$work/want" "$work/got"

cat >"$work/want" <<'EOF'
+---+------+-------+
| a | b    | c     |
+---+------+-------+
| 1 | NULL | hello |
| 2 | x    | world |
+---+------+-------+
EOF
cli -t -e "SELECT 1 AS a, NULL AS b, 'hello' AS c UNION ALL SELECT 2, 'x', 'world'" \
  >"$work/got" 2>&1
expect_same "-e table output with column names and NULL" "$work/want" "$work/got"

printf 'h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80\t13\n' >"$work/want"
cli -N -B --default-character-set=utf8mb4 \
  -e "SELECT 'héllo wörld 😀', CHAR_LENGTH('héllo wörld 😀')" >"$work/got" 2>&1
expect_same "-e utf8mb4 text round trip" "$work/want" "$work/got"

cli -e "status" >"$work/status" 2>&1
if grep -q "^Current user:.*$USER_@" "$work/status" && grep -q "^Uptime:" "$work/status"; then
  pass "status command (COM_STATISTICS and session info)"
else
  fail "status command (COM_STATISTICS and session info)" "$(cat "$work/status")"
fi

# ------------------------------------------------------------------ batch script on stdin

cat >"$work/script.sql" <<'EOF'
DROP TABLE IF EXISTS cli_batch;
CREATE TABLE cli_batch (id INT PRIMARY KEY, name VARCHAR(20));
INSERT INTO cli_batch VALUES (1, 'one'), (2, 'two'), (3, 'three');
UPDATE cli_batch SET name = UPPER(name) WHERE id >= 2;
DELETE FROM cli_batch WHERE id = 1;
-- a comment line
SELECT id, name FROM cli_batch ORDER BY id;
SELECT COUNT(*) AS n FROM cli_batch;
EOF
cat >"$work/want" <<'EOF'
id	name
2	TWO
3	THREE
n
2
EOF
cli --batch <"$work/script.sql" >"$work/got" 2>&1
expect_same "batch mode script piped on stdin" "$work/want" "$work/got"

# ------------------------------------------------------------------ source

cat >"$work/source.sql" <<'EOF'
DROP TABLE IF EXISTS cli_source;
CREATE TABLE cli_source (v INT);
INSERT INTO cli_source VALUES (10), (20), (12);
SELECT SUM(v) FROM cli_source;
EOF
printf '42\n' >"$work/want"
cli -N -B -e "source $work/source.sql" >"$work/got" 2>&1
expect_same "source of a file" "$work/want" "$work/got"

# ------------------------------------------------------------------ errors

cli -N -B -e "SELECT * FROM cli_no_such_table" >"$work/got" 2>&1
rc=$?
if ((rc == 1)) && grep -q "ERROR 1146 (42S02)" "$work/got"; then
  pass "error: exit status 1 and ERROR 1146 (42S02)"
else
  fail "error: exit status 1 and ERROR 1146 (42S02)" "exit $rc" "$(cat "$work/got")"
fi

printf 'SELECT 1;\nSELEC 2;\nSELECT 3;\n' >"$work/err.sql"
cli -N -B --force <"$work/err.sql" >"$work/got" 2>"$work/stderr"
rc=$?
# (with --force the client's exit status does not reflect the failed statement)
if [[ "$(cat "$work/got")" == $'1\n3' ]] && grep -q "ERROR 1064 (42000)" "$work/stderr"; then
  pass "--force batch continues after a syntax error"
else
  fail "--force batch continues after a syntax error" "exit $rc" "$(cat "$work/got" "$work/stderr")"
fi

mariadb --no-defaults --protocol=tcp -h "$HOST" -P "$PORT" -u "$USER_" \
  --password="wrong-$PASSWORD" -e "SELECT 1" >"$work/got" 2>&1
rc=$?
if ((rc == 1)) && grep -q "ERROR 1045 (28000)" "$work/got"; then
  pass "wrong password: ERROR 1045 (28000)"
else
  fail "wrong password: ERROR 1045 (28000)" "exit $rc" "$(cat "$work/got")"
fi

# ------------------------------------------------------------------ TLS and sha2

if [[ "${CW_TLS:-0}" == 1 ]]; then
  tls_args=(--ssl)
  if [[ -n "${CW_CA:-}" ]]; then tls_args+=(--ssl-ca="$CW_CA" --ssl-verify-server-cert); fi
  cli "${tls_args[@]}" -e "status" >"$work/status" 2>&1
  got=$(cli "${tls_args[@]}" -N -B -e "SELECT 'over tls'" 2>&1)
  if grep -q "Cipher in use is" "$work/status" && [[ "$got" == "over tls" ]]; then
    pass "--ssl${CW_CA:+ with --ssl-verify-server-cert}: cipher in use, queries work"
  else
    fail "--ssl: cipher in use, queries work" "$(cat "$work/status")" "$got"
  fi
else
  skip "--ssl" "CW_TLS is not 1"
fi

if [[ -n "${CW_SHA2_USER:-}" ]]; then
  got=$(mariadb --no-defaults --protocol=tcp -h "$HOST" -P "$PORT" -u "$CW_SHA2_USER" \
    --password="${CW_SHA2_PASSWORD:-}" -N -B -e "SELECT CURRENT_USER()" "$DB" 2>&1)
  if [[ "$got" == "$CW_SHA2_USER@"* ]]; then
    pass "caching_sha2_password user logs in"
  else
    fail "caching_sha2_password user logs in" "$got"
  fi
else
  skip "caching_sha2_password user logs in" "CW_SHA2_USER not set"
fi

echo "cli: $skipped skipped"
echo "cli: $passed passed, $failed failed"
((failed == 0))
