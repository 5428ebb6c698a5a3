#!/usr/bin/env bash
# Integration suite: real clients (libmariadb, PyMySQL, Node mysql2, the mariadb CLI,
# sysbench, raw sockets) against causeway in front of a real MariaDB sandbox.
#
#   tests/integration/run.sh --build BUILD_DIR [--direct] [--only a,b,...] [--keep-logs]
#
#   --build DIR   CMake build directory (itest_client, proxy/causeway are built if missing)
#   --direct      no causeway: the tests talk to the sandbox primary itself (development;
#                 proxy-only checks are skipped or adapt, and say so)
#   --only LIST   run only these suites: check_config, explain, client, bad_input, python, node,
#                 cli, sysbench, routing, pool, session_state, consistency, reload, backend_tls,
#                 accounts, status, dashboard, monitor
#   --keep-logs   keep the work directory (logs, configs) even when everything passed
#
# Environment: CW_ITEST_BASE_PORT (first port to try, default 23306);
# Everything runs on
# 127.0.0.1 in a private directory under /tmp/cw-itest.*; the sandbox and causeway are
# always stopped on exit. Prints `integration: N passed, N failed` (suites).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

build="" direct=0 only="" keep_logs=0
while (($#)); do
  case "$1" in
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --direct) direct=1; shift ;;
    --only) only=${2:?--only needs a list}; shift 2 ;;
    --keep-logs) keep_logs=1; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$build" ]] || { echo "run.sh: --build BUILD_DIR is required" >&2; exit 2; }
build=$(cd "$build" && pwd) || exit 2

log() { printf 'run.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ------------------------------------------------------------------ binaries

itest_client=$build/tests/integration/itest_client
itest_monitor=$build/tests/integration/itest_monitor
staleness_bin=$build/tests/staleness/causeway_staleness
causeway_bin=$build/proxy/causeway
need_target() { # PATH TARGET
  [[ -x "$1" ]] && return 0
  log "building $2"
  cmake --build "$build" --target "$2" -j2 >&2 || die "could not build $2"
  [[ -x "$1" ]] || die "$2 built, but $1 is not there"
}
need_target "$itest_client" itest_client
need_target "$itest_monitor" itest_monitor
need_target "$staleness_bin" causeway_staleness
if ((!direct)); then
  need_target "$causeway_bin" causeway
fi

# ------------------------------------------------------------------ work dir and cleanup

sandbox_cmd=$repo/deploy/sandbox.sh
[[ -x "$sandbox_cmd" ]] || die "$sandbox_cmd is missing"
work=$(mktemp -d /tmp/cw-itest.XXXXXX)
sandbox_dir=$work/sandbox
sandbox_up=0 causeway_pid="" overall_ok=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$causeway_pid" ]] && kill -0 "$causeway_pid" 2>/dev/null; then
    log "stopping causeway (pid $causeway_pid)"
    kill -TERM "$causeway_pid" 2>/dev/null
    wait_pid_exit "$causeway_pid" 40 || kill -KILL "$causeway_pid" 2>/dev/null
  fi
  # --keep: the servers stop, their logs stay in $work for a failed run.
  ((sandbox_up)) && { "$sandbox_cmd" down --keep --dir "$sandbox_dir" >&2 || true; }
  if ((overall_ok && !keep_logs)); then
    rm -rf "$work"
  else
    log "logs and configs kept in $work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_pid_exit PID SECONDS: our own child; waits for its exit (bounded).
wait_pid_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# ------------------------------------------------------------------ ports

port_free() { [[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]; }
# Five consecutive free ports: primary, replica1, replica2, causeway, status port.
pick_base_port() {
  local p=${CW_ITEST_BASE_PORT:-23306} i ok
  for ((tries = 0; tries < 200; tries++, p += 10)); do
    ok=1
    for ((i = 0; i < 5; i++)); do port_free $((p + i)) || { ok=0; break; }; done
    ((ok)) && { echo "$p"; return 0; }
  done
  return 1
}
base_port=$(pick_base_port) || die "no five free consecutive ports found"
listen_port=$((base_port + 3))
status_port=$((base_port + 4))
# The status port's admin token (drain, reload), fresh for each run.
admin_token=cw-itest-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

# ------------------------------------------------------------------ sandbox

log "work dir $work; sandbox from port $base_port"
sandbox_up=1
"$sandbox_cmd" up --replicas 2 --base-port "$base_port" --dir "$sandbox_dir" >&2 ||
  die "deploy/sandbox.sh up failed"
# shellcheck disable=SC1091
source "$sandbox_dir/sandbox.env"
certs=$SANDBOX_CERTS

root_sql() {
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$PRIMARY_PORT" -uroot -proot -N -B -e "$1"
}
# The backend side of the caching_sha2 test account: MariaDB has no caching_sha2_password,
# so the server account is mysql_native_password; causeway speaks caching_sha2 to clients.
root_sql "CREATE OR REPLACE USER 'sha2user'@'%' IDENTIFIED BY 'sha2pass';
          GRANT ALL PRIVILEGES ON demo.* TO 'sha2user'@'%';
          SET GLOBAL max_allowed_packet = 1073741824; SET GLOBAL local_infile = ON;" ||
  die "could not prepare the primary"
"$sandbox_cmd" sync --dir "$sandbox_dir" --timeout 60 >&2 || die "replicas did not catch up"

# A CA that did not sign anything here, for the negative TLS verification test.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cw-itest-wrong-ca" \
  -keyout "$work/wrong-ca-key.pem" -out "$work/wrong-ca.pem" 2>/dev/null ||
  log "could not create a wrong CA; that test will skip"

# ------------------------------------------------------------------ causeway

write_config() {
  local cfg=$1 p i=1
  {
    echo "# causeway config for the integration suite (generated by tests/integration/run.sh)"
    echo "listeners:"
    echo "  - name: main"
    echo "    address: 127.0.0.1"
    echo "    port: $listen_port"
    echo "servers:"
    echo "  - name: primary"
    echo "    host: 127.0.0.1"
    echo "    port: $PRIMARY_PORT"
    echo "    role: primary"
    for p in $REPLICA_PORTS; do
      echo "  - name: replica$i"
      echo "    host: 127.0.0.1"
      echo "    port: $p"
      echo "    role: replica"
      i=$((i + 1))
    done
    cat <<EOF
users:
  - name: app
    password: app
  - name: root
    password: root
  - name: sha2user
    password: sha2pass
    auth_plugin: caching_sha2_password
tls:
  cert_file: $certs/server-cert.pem
  key_file: $certs/server-key.pem
limits:
  max_client_connections: 5000
  max_packet_size: 64M
timeouts:
  handshake: 2s
  shutdown_grace: 10s
monitor:
  user: monitor
  password: monitor
replication:
  user: repl
  password: repl
status:
  address: 127.0.0.1
  port: $status_port
  admin_token: $admin_token
log_level: info
EOF
  } >"$cfg"
}

port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_causeway() {
  local cfg=$work/causeway.yaml deadline
  write_config "$cfg"
  log "starting causeway on 127.0.0.1:$listen_port (log: $work/causeway.log)"
  "$causeway_bin" --config "$cfg" >"$work/causeway.log" 2>&1 &
  causeway_pid=$!
  deadline=$((SECONDS + 30))
  until port_accepts "$listen_port"; do
    if ! kill -0 "$causeway_pid" 2>/dev/null; then
      wait "$causeway_pid"
      log "causeway exited with status $? during startup:"
      tail -n 30 "$work/causeway.log" >&2
      causeway_pid=""
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "causeway did not accept connections within 30s:"
      tail -n 30 "$work/causeway.log" >&2
      return 1
    fi
    sleep 0.1
  done
  export CW_CAUSEWAY_BIN=$causeway_bin CW_CAUSEWAY_CONFIG=$cfg CW_CAUSEWAY_PID=$causeway_pid
}

# ------------------------------------------------------------------ environment contract

export CW_HOST=127.0.0.1 CW_USER=app CW_PASSWORD=app CW_DB=demo
export CW_ROOT_USER=root CW_ROOT_PASSWORD=root
export CW_PRIMARY_PORT=$PRIMARY_PORT
export CW_REPLICA_PORTS=$REPLICA_PORTS CW_SANDBOX_DIR=$sandbox_dir
export CW_MONITOR_USER=monitor CW_MONITOR_PASSWORD=monitor
export CW_CA=$certs/ca.pem CW_TLS=1 CW_STALENESS_BIN=$staleness_bin
export CW_MAX_PACKET=67108864
[[ -s "$work/wrong-ca.pem" ]] && export CW_WRONG_CA=$work/wrong-ca.pem
if ((direct)); then
  export CW_DIRECT=1 CW_PORT=$PRIMARY_PORT
  unset CW_SHA2_USER CW_SHA2_PASSWORD CW_HANDSHAKE_TIMEOUT_S CW_CAUSEWAY_BIN \
    CW_CAUSEWAY_CONFIG CW_CAUSEWAY_PID
else
  start_causeway || die "causeway did not start"
  export CW_DIRECT=0 CW_PORT=$listen_port CW_STATUS_PORT=$status_port CW_ADMIN_TOKEN=$admin_token
  export CW_SHA2_USER=sha2user CW_SHA2_PASSWORD=sha2pass CW_HANDSHAKE_TIMEOUT_S=2
  # causeway's RSA public key as a file, for the client-supplied-key test.
  if PYTHONPATH=$here/python /usr/bin/python3 -c "import mysqlraw, sys
sys.stdout.buffer.write(mysqlraw.fetch_sha2_public_key('127.0.0.1', $listen_port, 'sha2user'))" \
    >"$work/causeway-rsa-public.pem" 2>"$work/causeway-rsa-public.err"; then
    export CW_SHA2_PUBLIC_KEY=$work/causeway-rsa-public.pem
  else
    log "no RSA public key from causeway (that test will skip):" \
      "$(cat "$work/causeway-rsa-public.err")"
  fi
fi

# ------------------------------------------------------------------ suites

declare -a suite_names=() suite_results=()
wanted() { [[ -z "$only" || ",$only," == *",$1,"* ]]; }

# run_suite NAME TIMEOUT_SECONDS CMD...: output to the terminal and to work/NAME.log.
run_suite() {
  local name=$1 limit=$2 rc
  shift 2
  wanted "$name" || return 0
  echo
  echo "=== $name ==="
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$work/$name.log"
  rc=${PIPESTATUS[0]}
  ((rc == 124 || rc == 137)) && echo "$name: TIMED OUT after ${limit}s"
  suite_names+=("$name")
  if ((rc == 0)); then suite_results+=(PASS); else suite_results+=("FAIL (exit $rc)"); fi
}

skip_suite() {
  wanted "$1" || return 0
  echo
  echo "=== $1 ==="
  echo "SKIP $1: $2"
  suite_names+=("$1")
  suite_results+=(SKIP)
}

# The npm modules of the node and dashboard suites (their lock files pin them), installed
# before the suite's own time limit starts and only when missing. The registry can stall
# mid-download (EIDLETIMEOUT): each fetch is bounded and the install tried three times. A
# suite whose modules could not be installed then fails on the missing module.
npm_modules() {  # DIR MODULE
  local dir=$1 module=$2 attempt
  [[ -d "$dir/node_modules/$module" ]] && return 0
  for attempt in 1 2 3; do
    (cd "$dir" && timeout --kill-after=10 300 npm ci --no-audit --no-fund --fetch-timeout=60000 \
      --fetch-retries=4) && return 0
    echo "npm ci in $dir failed (attempt $attempt of 3)"
    sleep 5
  done
  return 1
}

if ((direct)); then
  skip_suite check_config "--direct: no causeway binary in use"
  skip_suite explain "--direct: no causeway binary in use"
else
  run_suite check_config 120 "$here/check_config_test.sh"
  run_suite explain 60 "$here/explain_test.sh"
fi
run_suite client 600 "$itest_client" --order decl
run_suite bad_input 300 /usr/bin/python3 "$here/bad_input.py"
run_suite python 300 /usr/bin/python3 "$here/python/client_test.py"
if wanted node; then npm_modules "$here/node" mysql2 || true; fi
# shellcheck disable=SC2016 # $0 is expanded by the inner bash
run_suite node 300 bash -c 'cd "$0" && node client_test.js' "$here/node"
run_suite cli 120 "$here/cli_test.sh"
run_suite sysbench 180 "$here/sysbench_test.sh"
run_suite routing 300 /usr/bin/python3 "$here/routing_test.py"
run_suite pool 300 /usr/bin/python3 "$here/pool_test.py"
run_suite session_state 300 /usr/bin/python3 "$here/session_state_test.py"
run_suite consistency 400 /usr/bin/python3 "$here/consistency_test.py"
run_suite reload 120 /usr/bin/python3 "$here/reload_test.py"
if ((direct)); then
  skip_suite backend_tls "--direct: no causeway in between"
  skip_suite accounts "--direct: no causeway in between"
else
  run_suite backend_tls 180 /usr/bin/python3 "$here/backend_tls_test.py"
  run_suite accounts 120 /usr/bin/python3 "$here/accounts_test.py"
fi
if ((direct)); then
  skip_suite status "--direct: no causeway status port"
else
  run_suite status 300 /usr/bin/python3 "$here/status_test.py"
fi
# The status page in headless Chromium (puppeteer-core pinned in dashboard/package-lock.json);
# it stops and restarts replica1's SQL thread. Screenshots go next to the suite logs.
if ((direct)); then
  skip_suite dashboard "--direct: no status port"
else
  if wanted dashboard; then npm_modules "$here/dashboard" puppeteer-core || true; fi
  # shellcheck disable=SC2016 # $0 is expanded by the inner bash
  run_suite dashboard 240 env CW_ARTIFACT_DIR="$work" bash -c 'cd "$0" && node dashboard_test.js' "$here/dashboard"
fi
# Last: it stops, breaks, kills and restarts sandbox servers (and leaves them healthy).
run_suite monitor 300 "$itest_monitor" --order decl

# ------------------------------------------------------------------ causeway shutdown

if ((!direct)) && [[ -n "$causeway_pid" ]]; then
  echo
  echo "=== causeway_shutdown ==="
  suite_names+=(causeway_shutdown)
  if ! kill -0 "$causeway_pid" 2>/dev/null; then
    wait "$causeway_pid"
    echo "FAIL causeway died during the tests (exit status $?); log: $work/causeway.log"
    suite_results+=("FAIL (died)")
    causeway_pid=""
  else
    kill -TERM "$causeway_pid"
    if wait_pid_exit "$causeway_pid" 40; then
      wait "$causeway_pid"
      rc=$?
      causeway_pid=""
      if ((rc == 0)); then
        echo "PASS SIGTERM: causeway exited with status 0"
        suite_results+=(PASS)
      else
        echo "FAIL SIGTERM: causeway exited with status $rc"
        tail -n 20 "$work/causeway.log"
        suite_results+=("FAIL (exit $rc)")
      fi
    else
      echo "FAIL SIGTERM: causeway still running after 40s (cleanup sends SIGKILL)"
      suite_results+=("FAIL (hung)")
    fi
  fi
fi

# ------------------------------------------------------------------ summary

echo
echo "=== summary ==="
npass=0 nfail=0
for i in "${!suite_names[@]}"; do
  printf '  %-18s %s\n' "${suite_names[$i]}" "${suite_results[$i]}"
  case "${suite_results[$i]}" in
    PASS) npass=$((npass + 1)) ;;
    FAIL*) nfail=$((nfail + 1)) ;;
  esac
done
((direct)) && echo "direct mode: the tests talked to MariaDB itself, not to causeway"
echo "integration: $npass passed, $nfail failed"
((nfail == 0)) && overall_ok=1
((nfail == 0))
