#!/usr/bin/env bash
# deploy/sandbox.sh — a real MariaDB primary + N replicas on 127.0.0.1 for tests and demos.
#
#   sandbox.sh up     [--replicas N] [--base-port P] [--dir D]
#   sandbox.sh down   [--dir D] [--keep]
#   sandbox.sh status [--dir D]
#   sandbox.sh sql    INDEX ["SQL"] [--dir D]   (INDEX 0 = primary, 1..N = replicas)
#   sandbox.sh sync   [--dir D] [--timeout S]   wait until every replica has the primary's GTIDs
#   sandbox.sh config [--listen-port 16033] [--status-port 16080] [--dir D]
#                                               print a causeway YAML config for this sandbox
#
# Defaults: N=2, P=13306, D=<repo>/.sandbox. Server i listens on P+i, has server_id P+i
# (so a GTID names the port that wrote it) and lives in D/<name> (primary, replica1, ...)
# with its my.cnf, data/, socket, pid file and error.log. D/sandbox.env (shell-sourceable)
# describes a complete sandbox; D/certs holds the TLS CA and certificates.
#
# Accounts (mysql_native_password; created on the primary and replicated):
#   root/root    @127.0.0.1 ALL WITH GRANT OPTION  (root@localhost via the socket: no password)
#   app/app      ALL on demo.* and sbtest.*
#   repl/repl    REPLICATION SLAVE, REPLICATION CLIENT / BINLOG MONITOR
#   monitor/monitor  PROCESS, REPLICATION CLIENT / BINLOG MONITOR, SLAVE MONITOR, and SELECT
#                    on mysql.user (account_discovery reads the client accounts there)
#
# Extra mariadbd options for every server: SANDBOX_MARIADBD_OPTS="--opt=value ...".
set -euo pipefail

deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$deploy_dir")
# shellcheck source=deploy/lib.sh
source "$deploy_dir/lib.sh"
CW_PROG=sandbox

readonly MARKER=.causeway-sandbox # present in every directory this script owns
readonly START_TIMEOUT=90         # seconds for one server to answer ping
readonly SYNC_TIMEOUT=120         # seconds for replicas to catch up during `up`

usage() { cw_usage "${BASH_SOURCE[0]}" "$@"; }

# ---------------------------------------------------------------- arguments

cmd=${1:-}
[[ -n "$cmd" ]] || usage 2
shift
opt_replicas="" opt_base_port="" opt_dir="" opt_keep=0 opt_timeout=""
opt_listen_port=16033 opt_status_port=16080
positional=()
while [[ $# -gt 0 ]]; do
  case "$1" in
  --replicas) cw_need_value "$@"; opt_replicas=$2; shift 2 ;;
  --base-port) cw_need_value "$@"; opt_base_port=$2; shift 2 ;;
  --dir) cw_need_value "$@"; opt_dir=$2; shift 2 ;;
  --keep) opt_keep=1; shift ;;
  --timeout) cw_need_value "$@"; opt_timeout=$2; shift 2 ;;
  --listen-port) cw_need_value "$@"; opt_listen_port=$2; shift 2 ;;
  --status-port) cw_need_value "$@"; opt_status_port=$2; shift 2 ;;
  -h | --help) usage 0 ;;
  --) shift; positional+=("$@"); break ;;
  -*) cw_die "unknown option $1 (see $0 --help)" ;;
  *) positional+=("$1"); shift ;;
  esac
done
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
[[ -z "$opt_replicas" ]] || { is_uint "$opt_replicas" && ((opt_replicas <= 20)); } ||
  cw_die "--replicas must be 0..20"
[[ -z "$opt_base_port" ]] || { is_uint "$opt_base_port" && ((opt_base_port >= 1024 && opt_base_port <= 65000)); } ||
  cw_die "--base-port must be 1024..65000"
[[ -z "$opt_timeout" ]] || is_uint "$opt_timeout" || cw_die "--timeout must be whole seconds"
for p in "$opt_listen_port" "$opt_status_port"; do
  { is_uint "$p" && ((p >= 1 && p <= 65535)); } || cw_die "bad port $p"
done

dir=$(cw_abs_path "${opt_dir:-$repo_root/.sandbox}")

# ---------------------------------------------------------------- layout

# Filled by load_layout from the options (fresh sandbox) or from sandbox.env (existing).
replicas=2 base_port=13306
names=()

set_layout() {
  replicas=$1 base_port=$2
  names=(primary)
  local i
  for ((i = 1; i <= replicas; i++)); do names+=("replica$i"); done
}
port_of() { echo $((base_port + $1)); }
sdir() { echo "$dir/${names[$1]}"; }
cnf_of() { echo "$dir/${names[$1]}/my.cnf"; }
sock_of() { echo "$dir/${names[$1]}/mariadbd.sock"; }
role_of() { if (($1 == 0)); then echo primary; else echo replica; fi; }

# An existing complete sandbox wins over defaults; explicit options that contradict it
# are an error rather than silently ignored.
load_layout() {
  if [[ -f "$dir/sandbox.env" ]]; then
    local SANDBOX_REPLICAS SANDBOX_BASE_PORT
    # shellcheck disable=SC1091
    SANDBOX_REPLICAS=$(source "$dir/sandbox.env" && echo "$SANDBOX_REPLICAS")
    # shellcheck disable=SC1091
    SANDBOX_BASE_PORT=$(source "$dir/sandbox.env" && echo "$SANDBOX_BASE_PORT")
    if [[ -n "$opt_replicas" && "$opt_replicas" != "$SANDBOX_REPLICAS" ]] ||
      [[ -n "$opt_base_port" && "$opt_base_port" != "$SANDBOX_BASE_PORT" ]]; then
      cw_die "the sandbox in $dir has $SANDBOX_REPLICAS replica(s) from port $SANDBOX_BASE_PORT;" \
        "run '$0 down --dir $dir' first to change that"
    fi
    set_layout "$SANDBOX_REPLICAS" "$SANDBOX_BASE_PORT"
  else
    set_layout "${opt_replicas:-2}" "${opt_base_port:-13306}"
  fi
}

# Servers of a directory found by their my.cnf (works for incomplete sandboxes too).
server_dirs() {
  local d
  for d in "$dir"/*/; do [[ -f "$d/my.cnf" ]] && echo "${d%/}"; done
}

# ---------------------------------------------------------------- client helpers

# client INDEX ARGS...: the mariadb CLI as root@localhost over the server's socket.
client() {
  local i=$1
  shift
  mariadb --defaults-file="$(cnf_of "$i")" "$@"
}
# q INDEX SQL: one query, tab-separated values, no column names.
q() { client "$1" -N -B -e "$2"; }
ping_server() { mariadb-admin --defaults-file="$1" --connect-timeout=2 ping >/dev/null 2>&1; }

# pid_of SERVER_DIR: pid of the mariadbd serving that directory, if it is running. The
# pid file is written by mariadbd; launch.pid by us (covers a server that died or hangs
# before writing its own).
pid_of() {
  local sd=$1 pid
  for pid in "$(cw_read_pid "$sd/mariadbd.pid")" "$(cw_read_pid "$sd/launch.pid")"; do
    if [[ -n "$pid" ]] && cw_pid_is "$pid" "--defaults-file=$sd/my.cnf"; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}
is_running() { pid_of "$(sdir "$1")" >/dev/null; }

# ---------------------------------------------------------------- server lifecycle

write_cnf() {
  local i=$1 sd port
  sd=$(sdir "$i") port=$(port_of "$i")
  mkdir -p "$sd"
  {
    cat <<EOF
# Generated by deploy/sandbox.sh: ${names[$i]} ($(role_of "$i")) of the sandbox in $dir
[mariadbd]
user=root
datadir=$sd/data
bind-address=127.0.0.1
port=$port
socket=$sd/mariadbd.sock
pid-file=$sd/mariadbd.pid
log-error=$sd/error.log
server-id=$port
report-host=127.0.0.1
report-port=$port
log-bin=binlog
relay-log=relay-bin
log-slave-updates=ON
binlog-format=ROW
gtid-strict-mode=ON
max-allowed-packet=1G
local-infile=ON
skip-name-resolve
max-connections=500
innodb-buffer-pool-size=64M
innodb-log-file-size=16M
performance-schema=OFF
ssl-ca=$dir/certs/ca.pem
ssl-cert=$dir/certs/server-cert.pem
ssl-key=$dir/certs/server-key.pem
EOF
    ((i == 0)) || echo "read-only=ON"
    cat <<EOF

# Read by the mariadb / mariadb-admin clients given --defaults-file=this file.
[client]
user=root
socket=$sd/mariadbd.sock
# The mariadb CLI only (mariadb-admin rejects this option).
[mysql]
max-allowed-packet=1G
EOF
  } >"$sd/my.cnf"
}

# start_server INDEX: launch mariadbd detached (its own session, so it outlives this
# script and the caller's terminal). Does not wait. setsid(1) only forks when it is a
# process-group leader, which a background child of a script never is, so $! is the
# mariadbd pid.
start_server() {
  local i=$1 sd
  sd=$(sdir "$i")
  # Remember where this start's messages begin in the error log, to show them on failure.
  stat -c %s "$sd/error.log" 2>/dev/null >"$sd/.log-offset" || echo 0 >"$sd/.log-offset"
  rm -f "$sd/mariadbd.pid"
  # shellcheck disable=SC2086 # SANDBOX_MARIADBD_OPTS is a word list on purpose
  setsid mariadbd --defaults-file="$sd/my.cnf" ${SANDBOX_MARIADBD_OPTS:-} \
    </dev/null >>"$sd/mariadbd.out" 2>&1 &
  echo $! >"$sd/launch.pid"
}

show_log_tail() {
  local sd=$1 off
  off=$(cat "$sd/.log-offset" 2>/dev/null || echo 0)
  echo "---- $sd/error.log (this start) ----" >&2
  tail -c +$((off + 1)) "$sd/error.log" 2>/dev/null | tail -n 25 >&2 || true
  [[ -s "$sd/mariadbd.out" ]] && tail -n 10 "$sd/mariadbd.out" >&2
  echo "----" >&2
}

# wait_server INDEX: until it answers ping; fails early if the process died.
wait_server() {
  local i=$1 sd rc=0
  sd=$(sdir "$i")
  cw_wait_ready "$START_TIMEOUT" "$(cw_read_pid "$sd/launch.pid")" ping_server "$(cnf_of "$i")" ||
    rc=$?
  ((rc == 0)) && return 0
  show_log_tail "$sd"
  ((rc == 2)) || cw_die "${names[$i]} (port $(port_of "$i")) did not answer within ${START_TIMEOUT}s"
  if tail -c +$(($(cat "$sd/.log-offset") + 1)) "$sd/error.log" 2>/dev/null |
    grep -q "Address already in use"; then
    cw_die "${names[$i]} could not bind port $(port_of "$i"): address already in use"
  fi
  cw_die "${names[$i]} (port $(port_of "$i")) exited during startup; see $sd/error.log"
}

# stop_server_dir SERVER_DIR: mariadb-admin shutdown through the socket, then SIGTERM,
# then SIGKILL, each after a bounded wait. Only ever signals the pid recorded for that
# directory, after checking its command line.
stop_server_dir() {
  local sd=$1 pid name
  name=$(basename "$sd")
  pid=$(pid_of "$sd") || { rm -f "$sd/launch.pid"; return 0; }
  # mariadb-admin returns once the server has exited (or after --shutdown-timeout). If it
  # cannot even ask (no answer, root password changed by a test), go straight to SIGTERM,
  # which mariadbd also handles as a clean shutdown.
  if ! timeout 40 mariadb-admin --defaults-file="$sd/my.cnf" --connect-timeout=5 \
    --shutdown-timeout=30 shutdown >/dev/null 2>&1; then
    cw_log "$name (pid $pid): mariadb-admin shutdown failed; sending SIGTERM"
  fi
  if ! cw_wait_exit "$pid" 2; then
    cw_terminate "$pid" "--defaults-file=$sd/my.cnf" 30
  fi
  rm -f "$sd/launch.pid"
  cw_log "stopped $name (pid $pid)"
}

# Stops every server of the directory, in parallel (each stop is independent).
stop_all() {
  local sd pids=() rc=0 p
  while read -r sd; do
    [[ -n "$sd" ]] || continue
    stop_server_dir "$sd" &
    pids+=($!)
  done < <(server_dirs)
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return "$rc"
}

# ---------------------------------------------------------------- setup SQL

# Extra privileges by server version: BINLOG MONITOR since 10.5.2, SLAVE MONITOR since 10.5.9.
version_at_least() { # VERSION MAJOR MINOR PATCH
  local maj min pat
  IFS=. read -r maj min pat <<<"${1%%-*}"
  pat=${pat%%[!0-9]*}
  ((maj > $2 || (maj == $2 && (min > $3 || (min == $3 && ${pat:-0} >= $4)))))
}

setup_primary() {
  local version repl_privs monitor_privs extra_roots h
  version=$(q 0 "SELECT VERSION()")
  repl_privs="REPLICATION SLAVE, REPLICATION CLIENT"
  monitor_privs="PROCESS, REPLICATION CLIENT"
  if version_at_least "$version" 10 5 2; then
    repl_privs+=", BINLOG MONITOR"
    monitor_privs+=", BINLOG MONITOR"
  fi
  version_at_least "$version" 10 5 9 && monitor_privs+=", SLAVE MONITOR"

  # mariadb-install-db also creates root@<hostname> and root@::1 without a password;
  # nothing reaches them here (IPv4 loopback only), so drop them to keep grants obvious.
  extra_roots=""
  while read -r h; do
    [[ -n "$h" ]] && extra_roots+="DROP USER 'root'@'$h';"
  done < <(q 0 "SELECT host FROM mysql.user WHERE user='root' AND host NOT IN ('localhost','127.0.0.1')")

  # Everything below is binlogged, so the replicas (started afterwards from an empty GTID
  # position) get the same accounts and databases through replication.
  q 0 "
    $extra_roots
    CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('root');
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
    CREATE DATABASE IF NOT EXISTS demo;
    CREATE DATABASE IF NOT EXISTS sbtest;
    CREATE OR REPLACE USER 'app'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('app');
    GRANT ALL PRIVILEGES ON demo.* TO 'app'@'%';
    GRANT ALL PRIVILEGES ON sbtest.* TO 'app'@'%';
    CREATE OR REPLACE USER 'repl'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('repl');
    GRANT $repl_privs ON *.* TO 'repl'@'%';
    CREATE OR REPLACE USER 'monitor'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('monitor');
    GRANT $monitor_privs ON *.* TO 'monitor'@'%';
    GRANT SELECT ON mysql.user TO 'monitor'@'%';
  "
}

setup_replica() {
  local i=$1
  q "$i" "
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(port_of 0),
      MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos,
      MASTER_CONNECT_RETRY=1;
    START SLAVE;
  "
}

# SHOW SLAVE STATUS of server INDEX as "Field: value" lines (empty if not a replica).
slave_status() { client "$1" -E -e "SHOW SLAVE STATUS" 2>/dev/null || true; }
# field_of STATUS_TEXT FIELD: one value out of slave_status output.
field_of() {
  awk -v f="$2" '{ k = $1; sub(/:$/, "", k) } k == f { sub(/^[^:]*: ?/, ""); print; exit }' <<<"$1"
}

# wait_sync TIMEOUT: every replica's gtid_slave_pos reaches the primary's gtid_binlog_pos.
# MASTER_GTID_WAIT blocks on the replica until it has applied that position; it is called
# in short slices only so that a stopped replication thread is reported at once instead
# of after the whole timeout.
wait_sync() {
  local timeout=$1 target i got st deadline
  target=$(q 0 "SELECT @@gtid_binlog_pos")
  deadline=$((SECONDS + timeout))
  for ((i = 1; i <= replicas; i++)); do
    while :; do
      got=$(q "$i" "SELECT MASTER_GTID_WAIT('$target', 2)")
      [[ "$got" == 0 ]] && break
      st=$(slave_status "$i")
      if [[ "$(field_of "$st" Slave_SQL_Running)" != Yes ]] || ((SECONDS >= deadline)); then
        cw_log "${names[$i]} has not reached the primary's GTID position '$target':" \
          "IO=$(field_of "$st" Slave_IO_Running) SQL=$(field_of "$st" Slave_SQL_Running)" \
          "io_error='$(field_of "$st" Last_IO_Error)' sql_error='$(field_of "$st" Last_SQL_Error)'"
        return 1
      fi
    done
  done
  cw_log "replicas in sync with the primary at GTID '$target'"
}

write_env() {
  local i ports=() replica_ports=() sockets=()
  for ((i = 0; i <= replicas; i++)); do
    ports+=("$(port_of "$i")")
    sockets+=("$(sock_of "$i")")
    ((i == 0)) || replica_ports+=("$(port_of "$i")")
  done
  # Single-quoted values: readable, and safe to source whatever the path contains.
  kv() { printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; }
  {
    echo "# Generated by deploy/sandbox.sh; source it from a shell."
    kv SANDBOX_DIR "$dir"
    kv SANDBOX_REPLICAS "$replicas"
    kv SANDBOX_BASE_PORT "$base_port"
    kv SANDBOX_NAMES "${names[*]}"
    kv SANDBOX_SOCKETS "${sockets[*]}"
    kv SANDBOX_CERTS "$dir/certs"
    kv PRIMARY_HOST 127.0.0.1
    kv PRIMARY_PORT "$(port_of 0)"
    kv PRIMARY_SOCKET "$(sock_of 0)"
    kv REPLICA_PORTS "${replica_ports[*]}"
    kv ALL_PORTS "${ports[*]}"
  } >"$dir/sandbox.env.tmp"
  mv -f "$dir/sandbox.env.tmp" "$dir/sandbox.env"
}

# ---------------------------------------------------------------- commands

check_ports_free() {
  local i p
  for i in "$@"; do
    p=$(port_of "$i")
    cw_port_in_use "$p" && cw_die "port $p (for ${names[$i]}) is already in use;" \
      "pick another --base-port or stop what listens there"
  done
  return 0
}

start_and_wait() { # INDEX...
  local i
  check_ports_free "$@"
  for i in "$@"; do start_server "$i"; done
  for i in "$@"; do wait_server "$i"; done
}

# up on a complete sandbox: start whatever is stopped (replication settings live in the
# data dirs, so replicas resume on their own), wait for them and for the replicas to sync.
resume() {
  local i stopped=()
  for ((i = 0; i <= replicas; i++)); do is_running "$i" || stopped+=("$i"); done
  if ((${#stopped[@]} == 0)); then
    cw_log "sandbox in $dir is already running (ports $(port_list))"
    return 0
  fi
  local names_down=()
  for i in "${stopped[@]}"; do names_down+=("${names[$i]}"); done
  cw_log "starting stopped servers of $dir: ${names_down[*]}"
  "$deploy_dir/gen-certs.sh" "$dir/certs"
  start_and_wait "${stopped[@]}"
  wait_sync "$SYNC_TIMEOUT"
  cw_log "sandbox up: primary 127.0.0.1:$(port_of 0), replicas $(port_list 1)"
}

port_list() { # [FIRST_INDEX]
  local i out=()
  for ((i = ${1:-0}; i <= replicas; i++)); do out+=("$(port_of "$i")"); done
  echo "${out[*]:-none}"
}

# Stop anything a failed `up` started; keep the files for the post-mortem.
on_up_failure() {
  local rc=$?
  ((rc == 0)) && return 0
  cw_log "up failed; stopping the servers it started (logs stay in $dir)"
  stop_all || true
  cw_log "remove it with: $0 down --dir $dir"
  exit "$rc"
}

cmd_up() {
  cw_require_tools mariadbd mariadb-install-db mariadb mariadb-admin openssl setsid realpath
  load_layout
  if [[ -f "$dir/sandbox.env" ]]; then
    resume
    return 0
  fi
  if [[ -e "$dir" ]]; then
    if [[ -f "$dir/$MARKER" ]]; then
      cw_log "removing the incomplete sandbox left in $dir by an earlier failed up"
      stop_all
      rm -rf "$dir"
    elif [[ -n "$(ls -A "$dir" 2>/dev/null)" ]]; then
      cw_die "$dir exists and is not a sandbox made by this script; choose another --dir"
    fi
  fi
  local i longest
  ((base_port + replicas <= 65535)) || cw_die "ports $base_port..$((base_port + replicas)) exceed 65535"
  longest=$(sock_of "$replicas")
  # sun_path holds 108 bytes including the terminating NUL.
  ((${#longest} <= 107)) || cw_die "socket path $longest is too long for a unix socket; use a shorter --dir"
  check_ports_free $(seq 0 "$replicas")

  mkdir -p "$dir"
  touch "$dir/$MARKER"
  trap on_up_failure EXIT
  "$deploy_dir/gen-certs.sh" "$dir/certs"
  for ((i = 0; i <= replicas; i++)); do write_cnf "$i"; done

  # System tables once; the replicas start from copies (faster than one install each,
  # and identical, which the GTID bookkeeping below relies on).
  cw_log "initialising data directory"
  if ! mariadb-install-db --defaults-file="$(cnf_of 0)" --auth-root-authentication-method=normal \
    --skip-test-db >"$(sdir 0)/install.log" 2>&1; then
    tail -n 30 "$(sdir 0)/install.log" >&2
    cw_die "mariadb-install-db failed; see $(sdir 0)/install.log"
  fi
  for ((i = 1; i <= replicas; i++)); do cp -a "$(sdir 0)/data" "$(sdir "$i")/data"; done

  cw_log "starting ${#names[@]} servers on ports $(port_list)"
  start_and_wait $(seq 0 "$replicas")

  # Start every server from an empty binlog and GTID state so the replicas receive the
  # complete history from the primary, including the accounts created next.
  for ((i = 0; i <= replicas; i++)); do
    q "$i" "RESET MASTER; SET GLOBAL gtid_slave_pos='';"
  done
  setup_primary
  for ((i = 1; i <= replicas; i++)); do setup_replica "$i"; done
  wait_sync "$SYNC_TIMEOUT"

  write_env
  trap - EXIT
  cw_log "sandbox up in $dir: primary 127.0.0.1:$(port_of 0), replicas $(port_list 1)"
  cw_log "environment: $dir/sandbox.env"
}

cmd_down() {
  if [[ ! -e "$dir" ]]; then
    cw_log "no sandbox in $dir"
    return 0
  fi
  [[ -f "$dir/$MARKER" ]] || cw_die "$dir is not a sandbox made by this script; not touching it"
  stop_all
  if ((opt_keep)); then
    cw_log "servers stopped; files kept in $dir"
  else
    rm -rf "$dir"
    cw_log "removed $dir"
  fi
}

need_sandbox() {
  [[ -f "$dir/sandbox.env" ]] || cw_die "no complete sandbox in $dir (run: $0 up --dir $dir)"
  load_layout
}

cmd_status() {
  need_sandbox
  local i fmt='%-9s %-8s %-6s %-5s %-22s %-22s %-10s %-4s %s\n'
  # shellcheck disable=SC2059
  printf "$fmt" NAME ROLE PORT STATE GTID_BINLOG_POS GTID_CURRENT_POS IO SQL BEHIND
  for ((i = 0; i <= replicas; i++)); do
    local state=down binlog="" current="" io="" sqlt="" behind="" err="" st=""
    if is_running "$i" && ping_server "$(cnf_of "$i")"; then
      state=up
      IFS=$'\t' read -r binlog current < <(q "$i" "SELECT @@gtid_binlog_pos, @@gtid_current_pos") || true
      if ((i > 0)); then
        st=$(slave_status "$i")
        io=$(field_of "$st" Slave_IO_Running) sqlt=$(field_of "$st" Slave_SQL_Running)
        behind=$(field_of "$st" Seconds_Behind_Master) err=$(field_of "$st" Last_Error)
        [[ -n "$err" ]] || err=$(field_of "$st" Last_IO_Error)
      fi
    elif is_running "$i"; then
      state=hung # process alive, not answering
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "${names[$i]}" "$(role_of "$i")" "$(port_of "$i")" "$state" \
      "${binlog:--}" "${current:--}" "${io:--}" "${sqlt:--}" "${behind:--}"
    [[ -z "$err" ]] || printf '%9s last error: %s\n' "" "$err"
  done
}

cmd_sql() {
  need_sandbox
  local idx=${positional[0]:-}
  if ! is_uint "$idx" || ((10#$idx > replicas)); then cw_die "sql needs a server index 0..$replicas"; fi
  idx=$((10#$idx))
  is_running "$idx" || cw_die "${names[$idx]} is not running"
  if ((${#positional[@]} >= 2)); then
    q "$idx" "${positional[1]}"
  else
    # No SQL: an interactive client, or whatever arrives on stdin.
    exec mariadb --defaults-file="$(cnf_of "$idx")"
  fi
}

cmd_sync() {
  need_sandbox
  wait_sync "${opt_timeout:-$SYNC_TIMEOUT}"
}

cmd_config() {
  need_sandbox
  local i certs="${dir//\'/\'\'}/certs" # YAML single-quoted scalar
  cat <<EOF
# causeway configuration for the sandbox in $dir (generated by deploy/sandbox.sh config)
listeners:
  - name: main
    address: 127.0.0.1
    port: $opt_listen_port
servers:
EOF
  for ((i = 0; i <= replicas; i++)); do
    cat <<EOF
  - name: ${names[$i]}
    host: 127.0.0.1
    port: $(port_of "$i")
    role: $(role_of "$i")
EOF
  done
  cat <<EOF
users:
  - name: app
    password: app
    auth_plugin: mysql_native_password
  - name: root
    password: root
tls:
  cert_file: '$certs/server-cert.pem'
  key_file: '$certs/server-key.pem'
monitor:
  user: monitor
  password: monitor
# Accounts created on the sandbox log in too (read from mysql.user with the monitor's account).
account_discovery:
  refresh: 1s
replication:
  user: repl
  password: repl
status:
  address: 127.0.0.1
  port: $opt_status_port
EOF
}

[[ "$cmd" == sql || ${#positional[@]} -eq 0 ]] || cw_die "unexpected argument '${positional[0]}'"
case "$cmd" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
sql) cmd_sql ;;
sync) cmd_sync ;;
config) cmd_config ;;
-h | --help | help) usage 0 ;;
*) cw_die "unknown command '$cmd' (up, down, status, sql, sync, config)" ;;
esac
