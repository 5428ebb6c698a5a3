# Shared helpers for the deploy/ scripts. Source it; it only defines functions.
# shellcheck shell=bash

# Messages go to stderr so that commands printing data (sandbox.sh config, sql) keep a
# clean stdout. CW_PROG names the calling script.
cw_log() { printf '%s: %s\n' "${CW_PROG:-causeway}" "$*" >&2; }
cw_die() {
  printf '%s: error: %s\n' "${CW_PROG:-causeway}" "$*" >&2
  exit 1
}

# cw_usage SCRIPT [STATUS]: print the script's header comment (line 2 up to `set -euo`)
# as its help text and exit.
cw_usage() {
  sed -n '2,/^set -euo/p' "$1" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${2:-0}"
}

# cw_need_value "$@": inside an option loop, fail unless the option in $1 has a value.
cw_need_value() { [[ $# -ge 2 && -n "$2" ]] || cw_die "$1 needs a value"; }

# cw_require_tools TOOL...: fail with one clear message naming every missing tool.
cw_require_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) || cw_die "missing ${missing[*]}; run deploy/install-deps.sh"
}

# cw_poll TIMEOUT_SECONDS CMD...: run CMD until it succeeds; return 1 once TIMEOUT_SECONDS
# have passed. Used only to wait for another process to become ready, where there is no
# event to wait on.
cw_poll() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# cw_wait_ready TIMEOUT_SECONDS PID CMD...: run CMD until it succeeds, as long as PID (the
# process being waited for) lives. Returns 1 on timeout, 2 as soon as PID has exited.
cw_wait_ready() {
  local timeout=$1 pid=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    cw_pid_alive "$pid" || return 2
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

cw_pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# cw_pid_is PID NEEDLE: PID is alive and its command line contains NEEDLE. Guards every
# kill so a recycled pid never hits an unrelated process.
cw_pid_is() {
  local pid=$1 needle=$2 cmdline
  cw_pid_alive "$pid" || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *"$needle"* ]]
}

# cw_read_pid FILE: print the pid stored in FILE (nothing if absent or garbage).
cw_read_pid() {
  local pid=""
  if [[ -r "$1" ]]; then read -r pid <"$1" 2>/dev/null || true; fi
  if [[ "$pid" =~ ^[0-9]+$ ]]; then printf '%s\n' "$pid"; fi
}

# cw_wait_exit PID SECONDS: wait for PID to exit; 1 if still alive after SECONDS.
cw_wait_exit() { cw_poll "$2" cw_pid_gone "$1"; }
cw_pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# cw_terminate PID NEEDLE GRACE_SECONDS: SIGTERM, wait up to GRACE_SECONDS, then SIGKILL.
# Does nothing unless PID is alive and its command line contains NEEDLE.
cw_terminate() {
  local pid=$1 needle=$2 grace=$3
  cw_pid_is "$pid" "$needle" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  cw_wait_exit "$pid" "$grace" && return 0
  cw_log "pid $pid did not exit ${grace}s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  cw_wait_exit "$pid" 10 || cw_log "pid $pid survived SIGKILL"
}

# cw_port_in_use PORT: something listens on PORT (any local address).
cw_port_in_use() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# cw_abs_path PATH: absolute form of PATH (which need not exist yet).
cw_abs_path() { realpath -m -- "$1"; }
