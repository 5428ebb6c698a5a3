#!/usr/bin/env bash
# sysbench oltp_read_write through CW_HOST:CW_PORT: prepare, a short bounded run with 4
# threads (prepared statements, transactions, mixed reads and writes), cleanup.
#
# Asserts exit statuses, that transactions happened, zero reconnects, and zero errors
# other than the server's own lock conflicts: on 2 x 1000 rows with 4 writers InnoDB
# reports real deadlocks (1213) now and then, straight from MariaDB too. Those (and lock
# wait timeouts 1205, 1020) are the only codes passed to --mysql-ignore-errors; any other
# error makes sysbench stop with FATAL and a non-zero status, which fails the run.
# Ends with `sysbench: N passed, N failed`; exit status 1 on any failure.
set -uo pipefail

HOST=${CW_HOST:-127.0.0.1}
PORT=${CW_PORT:?CW_PORT is required}
USER_=${CW_USER:-app}
PASSWORD=${CW_PASSWORD:-app}
DB=${CW_SYSBENCH_DB:-sbtest}
TIME=${CW_SYSBENCH_TIME:-10}
THREADS=${CW_SYSBENCH_THREADS:-4}

passed=0 failed=0
work=$(mktemp -d /tmp/cw-itest-sysbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $1"
  [[ -z "${2:-}" ]] || sed 's/^/    /' "$2" | tail -n 30
}

sb() {
  sysbench oltp_read_write --db-driver=mysql --mysql-host="$HOST" --mysql-port="$PORT" \
    --mysql-user="$USER_" --mysql-password="$PASSWORD" --mysql-db="$DB" \
    --tables=2 --table-size=1000 "$@"
}

# The numeric field after LABEL in sysbench's report ("    ignored errors:   0   (0.00 per sec.)").
field() { awk -v l="$1" 'index($0, l":") { sub(".*" l ":[ \t]*", ""); print $1; exit }' "$2"; }

# A previous interrupted run may have left tables behind.
sb cleanup >/dev/null 2>&1 || true

if sb prepare >"$work/prepare.log" 2>&1; then
  pass "prepare: 2 tables x 1000 rows"
else
  fail "prepare: 2 tables x 1000 rows" "$work/prepare.log"
fi

# --time bounds the run; --events=0 lets time be the only limit.
sb run --threads="$THREADS" --time="$TIME" --events=0 --report-interval=0 \
  --mysql-ignore-errors=1213,1205,1020 >"$work/run.log" 2>&1
rc=$?
if ((rc == 0)) && ! grep -q "FATAL" "$work/run.log"; then
  pass "run: ${THREADS} threads for ${TIME}s exits 0 without FATAL"
else
  fail "run: ${THREADS} threads for ${TIME}s exits 0 without FATAL (exit $rc)" "$work/run.log"
fi

transactions=$(field "transactions" "$work/run.log")
ignored=$(field "ignored errors" "$work/run.log")
reconnects=$(field "reconnects" "$work/run.log")
echo "    transactions=${transactions:-?} ignored_errors=${ignored:-?} reconnects=${reconnects:-?}"
if [[ "${transactions:-0}" =~ ^[0-9]+$ ]] && ((transactions > 0)); then
  pass "run: transactions completed ($transactions)"
else
  fail "run: transactions completed" "$work/run.log"
fi
if [[ "$ignored" =~ ^[0-9]+$ ]] && ((ignored * 10 <= transactions)); then
  # Only 1213/1205/1020 can be ignored (see above); a handful is InnoDB, not the proxy.
  pass "run: no errors besides ${ignored} InnoDB lock conflict(s) (1213/1205/1020)"
else
  fail "run: no errors besides InnoDB lock conflicts (got '${ignored}' ignored)" "$work/run.log"
fi
if [[ "$reconnects" == 0 ]]; then
  pass "run: 0 reconnects"
else
  fail "run: 0 reconnects (got '${reconnects}')" "$work/run.log"
fi

if sb cleanup >"$work/cleanup.log" 2>&1; then
  pass "cleanup"
else
  fail "cleanup" "$work/cleanup.log"
fi

echo "sysbench: $passed passed, $failed failed"
((failed == 0))
