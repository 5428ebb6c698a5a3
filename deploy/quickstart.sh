#!/usr/bin/env bash
# deploy/quickstart.sh — causeway in front of a local MariaDB primary + 2 replicas.
#
#   deploy/quickstart.sh [start]   install deps if missing, build, start the sandbox
#                                  (deploy/sandbox.sh up) and causeway on 127.0.0.1:16033
#   deploy/quickstart.sh stop [--keep]   stop causeway and the sandbox (--keep: keep files)
#   deploy/quickstart.sh status    sandbox status and whether causeway is running
#
# Options (all commands): --dir D (default <repo>/.sandbox); for start also
# --base-port P (MariaDB ports, default 13306), --port P (default 16033),
# --status-port P (default 16080). CAUSEWAY_BIN=/path/to/causeway skips the build and
# runs that binary instead of build/proxy/causeway.
# Files in D: causeway.yaml (generated), causeway.log, causeway.pid, quickstart.env.
# Running start again is harmless: what already runs is left alone.
set -euo pipefail

deploy_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$deploy_dir")
# shellcheck source=deploy/lib.sh
source "$deploy_dir/lib.sh"
CW_PROG=quickstart

readonly READY_TIMEOUT=60 # seconds for causeway to accept its first query
readonly STOP_GRACE=40    # causeway's default shutdown_grace is 30 s

usage() { cw_usage "${BASH_SOURCE[0]}" "$@"; }

cmd=start
if [[ $# -gt 0 && "$1" != -* ]]; then
  cmd=$1
  shift
fi
opt_dir="$repo_root/.sandbox" opt_base_port="" opt_keep=0
listen_port=16033 status_port=16080
while [[ $# -gt 0 ]]; do
  case "$1" in
  --dir) cw_need_value "$@"; opt_dir=$2; shift 2 ;;
  --base-port) cw_need_value "$@"; opt_base_port=$2; shift 2 ;;
  --port) cw_need_value "$@"; listen_port=$2; shift 2 ;;
  --status-port) cw_need_value "$@"; status_port=$2; shift 2 ;;
  --keep) opt_keep=1; shift ;;
  -h | --help) usage 0 ;;
  *) cw_die "unknown argument $1 (see $0 --help)" ;;
  esac
done
for p in "$listen_port" "$status_port" ${opt_base_port:+"$opt_base_port"}; do
  if ! [[ "$p" =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then cw_die "bad port '$p'"; fi
done
dir=$(cw_abs_path "$opt_dir")
yaml="$dir/causeway.yaml" log="$dir/causeway.log" pidfile="$dir/causeway.pid"
stop_cmd="deploy/quickstart.sh stop"
[[ "$dir" == "$repo_root/.sandbox" ]] || stop_cmd+=" --dir $dir"
sandbox_sh="$deploy_dir/sandbox.sh"

# The causeway process started for this directory, if it is alive: recognised by its
# --config argument, so a recycled pid is never mistaken for it.
causeway_pid() {
  local pid
  pid=$(cw_read_pid "$pidfile")
  [[ -n "$pid" ]] && cw_pid_is "$pid" "--config $yaml" && echo "$pid"
}

proxy_answers() {
  mariadb --no-defaults --connect-timeout=2 -h127.0.0.1 -P"$listen_port" -uapp -papp demo \
    -N -B -e 'select 1' >/dev/null 2>&1
}

build_causeway() {
  if [[ -n "${CAUSEWAY_BIN:-}" ]]; then
    [[ -x "$CAUSEWAY_BIN" ]] || cw_die "CAUSEWAY_BIN=$CAUSEWAY_BIN is not an executable"
    cw_log "using CAUSEWAY_BIN=$CAUSEWAY_BIN (no build)"
    return 0
  fi
  cd "$repo_root"
  if [[ ! -f build/build.ninja ]]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  cmake --build build -j"${BUILD_JOBS:-2}" --target causeway
}

cmd_start() {
  "$deploy_dir/install-deps.sh"
  build_causeway
  local bin=${CAUSEWAY_BIN:-$repo_root/build/proxy/causeway}
  [[ -x "$bin" ]] || cw_die "$bin was not built"

  local up_args=(up --dir "$dir")
  [[ -z "$opt_base_port" ]] || up_args+=(--base-port "$opt_base_port")
  "$sandbox_sh" "${up_args[@]}"

  local pid
  if pid=$(causeway_pid); then
    # Ports come from the running instance's settings, not from this command line.
    # shellcheck disable=SC1091
    source "$dir/quickstart.env"
    proxy_answers || cw_die "causeway (pid $pid) runs but does not answer on port $listen_port; see $log"
    cw_log "causeway is already running (pid $pid)"
  else
    for p in "$listen_port" "$status_port"; do
      ! cw_port_in_use "$p" || cw_die "port $p is already in use; choose another with --port / --status-port"
    done
    "$sandbox_sh" config --dir "$dir" --listen-port "$listen_port" --status-port "$status_port" \
      >"$yaml.tmp"
    mv -f "$yaml.tmp" "$yaml"
    printf 'listen_port=%s\nstatus_port=%s\n' "$listen_port" "$status_port" >"$dir/quickstart.env"
    local offset
    offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
    # Own session: causeway outlives this script and the terminal it ran in.
    setsid "$bin" --config "$yaml" </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    cw_log "started causeway (pid $pid), waiting for 127.0.0.1:$listen_port"
    if ! cw_wait_ready "$READY_TIMEOUT" "$pid" proxy_answers; then
      echo "---- $log ----" >&2
      tail -c +$((offset + 1)) "$log" | tail -n 30 >&2
      echo "----" >&2
      cw_terminate "$pid" "--config $yaml" 10
      rm -f "$pidfile"
      cw_die "causeway did not accept connections on 127.0.0.1:$listen_port (log: $log);" \
        "the sandbox is still up: '$stop_cmd' removes it"
    fi
  fi

  local all_ports
  # shellcheck disable=SC1091,SC2153
  all_ports=$(source "$dir/sandbox.env" && echo "$ALL_PORTS")
  cat <<EOF

causeway is running in front of the sandbox in $dir

  connect:  mariadb -h127.0.0.1 -P$listen_port -uapp -papp demo
            (also root/root; the backends are MariaDB on ports $all_ports)

  status:   http://127.0.0.1:$status_port/  (dashboard; /metrics for Prometheus, /api/servers, ...)
  config:   $yaml
  log:      $log
  stop:     $stop_cmd
EOF
}

stop_causeway() {
  local pid
  if pid=$(causeway_pid); then
    cw_log "stopping causeway (pid $pid)"
    cw_terminate "$pid" "--config $yaml" "$STOP_GRACE"
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  stop_causeway
  local down_args=(down --dir "$dir")
  ((opt_keep)) && down_args+=(--keep)
  "$sandbox_sh" "${down_args[@]}"
}

cmd_status() {
  local pid
  "$sandbox_sh" status --dir "$dir" || true
  if pid=$(causeway_pid); then
    # shellcheck disable=SC1091
    source "$dir/quickstart.env"
    echo "causeway: running (pid $pid) on 127.0.0.1:$listen_port, status port 127.0.0.1:$status_port"
  else
    echo "causeway: not running"
  fi
}

case "$cmd" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
help) usage 0 ;;
*) cw_die "unknown command '$cmd' (start, stop, status)" ;;
esac
