#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../..
# tests/bench/consistency.sh — what consistent reads cost: the write-then-read checker
# (tests/staleness) straight to the primary and through causeway at several consistency
# settings, with replicas healthy, CPU-loaded and delayed.
#
#   tests/bench/consistency.sh [options]
#
# Brings up its own MariaDB sandbox (deploy/sandbox.sh: a primary and 2 replicas) in a
# temporary directory, creates the checker's table, and for every session count runs each
# scenario once (the first scenario rotating from cell to cell and repeat to repeat), every
# run a timed `causeway_staleness --mode mixed --allow-stale`: K sessions, each writing a
# row and reading it back at once.
#   direct     checker -> primary (writes and reads): the baseline
#   ryw        -> causeway, default config: read_your_writes, consistency.scope global
#   session    -> causeway with consistency: {scope: session}
#   eventual   -> causeway, reads hinted /* causeway: consistency=eventual */ (what the
#                 guarantee prevents: the stale reads it would serve)
#   loaded     as ryw, while --load-threads clients run DO BENCHMARK(...) on replica1
#   delayed    as ryw, with MASTER_DELAY=1 on the last replica
# Every causeway run gets a fresh causeway (config from `deploy/sandbox.sh config`: monitor
# and replication accounts, status port off), stopped with SIGTERM after the run; its
# shutdown log gives the reads that waited for a replica (count, p50/p99), deadline hits,
# fallbacks and, per replica, the tracker's stream-to-visible time.
# Around every run it reads SHOW GLOBAL STATUS on every server (root over TCP, after the
# replicas have caught up): reads per server = Com_select - Master_gtid_wait_count
# (causeway's visibility checks are SELECT MASTER_GTID_WAIT(...), counted in both), less the
# script's own status queries and causeway's idle background statements (both measured
# before the runs); the Master_gtid_wait_count delta is the number of visibility checks.
# Prints a Markdown table (one row per scenario and session count) and the conditions;
# with --out, also writes them to a file. See docs/performance.md.
#
# Options:
#   --time S               seconds per checker run (default 10)
#   --sessions "8 32"      checker session counts
#   --scenarios "..."      any of direct ryw session eventual loaded delayed (default: all)
#   --repeat N             run every cell N times; the table shows medians (default 1)
#   --mode M               checker --mode: insert, update or mixed (default mixed)
#   --load-threads N       clients running DO BENCHMARK on replica1 in `loaded` (default 2)
#   --catchup S            how long the replicas may take to apply a run's writes before the
#                          status is read after it (default 600; a direct run at 32 sessions
#                          leaves them tens of seconds behind)
#   --workers N            causeway worker threads (default 1)
#   --base-port P          sandbox primary port (default 24506; replica i on P+i); causeway
#                          takes the first free port from P+10
#   --causeway BIN         causeway binary (default $CAUSEWAY_BIN, else build/proxy/causeway)
#   --staleness BIN        checker binary (default $STALENESS_BIN, else
#                          build/tests/staleness/causeway_staleness)
#   --checker-args "..."   extra arguments for every checker run (e.g. --prepared)
#   --out FILE             also write the conditions and the tables as Markdown to FILE
#   --raw FILE             also write every single run as TSV to FILE
#   --keep                 keep the work directory (configs, causeway logs, checker output)
#
# Everything runs on 127.0.0.1. Every checker run and every load client is bounded by
# `timeout`; on exit (also on error or Ctrl-C) the checker, the load, causeway and the
# sandbox are stopped by pid.
# Exit status: 0 if every run succeeded and no read_your_writes run saw a stale read; 1
# otherwise (a failed cell shows ERR).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$bench_dir/../.." && pwd)
# shellcheck source=deploy/lib.sh
source "$repo_root/deploy/lib.sh"
# shellcheck source=tests/bench/lib.sh
source "$bench_dir/lib.sh"
# shellcheck disable=SC2034 # read by the cw_* helpers
CW_PROG=bench-consistency

usage() {
  sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# ---------------------------------------------------------------- options

all_scenarios="direct ryw session eventual loaded delayed"
opt_time=10 opt_sessions="8 32" opt_scenarios=$all_scenarios opt_repeat=1 opt_mode=mixed
opt_load_threads=2 opt_workers=1 opt_base_port=24506 opt_out="" opt_raw="" opt_keep=0
opt_checker_args="" opt_catchup=600
opt_causeway=${CAUSEWAY_BIN:-$repo_root/build/proxy/causeway}
opt_staleness=${STALENESS_BIN:-$repo_root/build/tests/staleness/causeway_staleness}

while [[ $# -gt 0 ]]; do
  case "$1" in
  --time) cw_need_value "$@"; opt_time=$2; shift 2 ;;
  --sessions) cw_need_value "$@"; opt_sessions=$2; shift 2 ;;
  --scenarios) cw_need_value "$@"; opt_scenarios=$2; shift 2 ;;
  --repeat) cw_need_value "$@"; opt_repeat=$2; shift 2 ;;
  --mode) cw_need_value "$@"; opt_mode=$2; shift 2 ;;
  --load-threads) cw_need_value "$@"; opt_load_threads=$2; shift 2 ;;
  --workers) cw_need_value "$@"; opt_workers=$2; shift 2 ;;
  --base-port) cw_need_value "$@"; opt_base_port=$2; shift 2 ;;
  --causeway) cw_need_value "$@"; opt_causeway=$2; shift 2 ;;
  --staleness) cw_need_value "$@"; opt_staleness=$2; shift 2 ;;
  --checker-args) cw_need_value "$@"; opt_checker_args=$2; shift 2 ;;
  --catchup) cw_need_value "$@"; opt_catchup=$2; shift 2 ;;
  --out) cw_need_value "$@"; opt_out=$2; shift 2 ;;
  --raw) cw_need_value "$@"; opt_raw=$2; shift 2 ;;
  --keep) opt_keep=1; shift ;;
  -h | --help) usage 0 ;;
  *) cw_die "unknown argument $1 (see $0 --help)" ;;
  esac
done

is_pos "$opt_time" || cw_die "--time must be a positive number of seconds"
is_pos "$opt_repeat" || cw_die "--repeat must be >= 1"
is_pos "$opt_catchup" || cw_die "--catchup must be a positive number of seconds"
{ is_pos "$opt_load_threads" && ((opt_load_threads <= 16)); } || cw_die "--load-threads must be 1..16"
{ is_uint "$opt_workers" && ((opt_workers <= 256)); } || cw_die "--workers must be 0..256 (0 = one per core)"
{ is_uint "$opt_base_port" && ((opt_base_port >= 1024 && opt_base_port <= 65000)); } ||
  cw_die "--base-port must be 1024..65000"
[[ "$opt_mode" =~ ^(insert|update|mixed)$ ]] || cw_die "--mode must be insert, update or mixed"
read -r -a sessions_list <<<"$opt_sessions"
read -r -a scenarios <<<"$opt_scenarios"
((${#sessions_list[@]} > 0 && ${#scenarios[@]} > 0)) || cw_die "--sessions and --scenarios must not be empty"
for k in "${sessions_list[@]}"; do { is_pos "$k" && ((k <= 1000)); } || cw_die "bad session count '$k' (1..1000)"; done
for sc in "${scenarios[@]}"; do
  [[ " $all_scenarios " == *" $sc "* ]] || cw_die "unknown scenario '$sc' (any of: $all_scenarios)"
done

cw_require_tools mariadb mariadbd timeout awk sort
[[ -x "$opt_causeway" ]] || cw_die "no causeway binary at $opt_causeway; build it" \
  "(cmake --build build --target causeway) or pass --causeway BIN"
[[ -x "$opt_staleness" ]] || cw_die "no checker binary at $opt_staleness; build it" \
  "(cmake --build build --target causeway_staleness) or pass --staleness BIN"
opt_causeway=$(cw_abs_path "$opt_causeway")
opt_staleness=$(cw_abs_path "$opt_staleness")
[[ -z "$opt_out" ]] || opt_out=$(cw_abs_path "$opt_out")
[[ -z "$opt_raw" ]] || opt_raw=$(cw_abs_path "$opt_raw")

# What each scenario is called in the table.
declare -A scenario_label=([direct]="direct (primary only)" [ryw]="read_your_writes (scope global)"
  [session]="read_your_writes, scope session" [eventual]="eventual (hint)"
  [loaded]="read_your_writes, replica1 CPU-loaded" [delayed]="read_your_writes, MASTER_DELAY=1 on one replica")
# Scenarios whose reads must never be stale.
declare -A must_be_fresh=([direct]=1 [ryw]=1 [session]=1 [loaded]=1 [delayed]=1)

# The tree as it was when the runs started (the report comes minutes later).
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$repo_root" status --porcelain --untracked-files=no 2>/dev/null || true)

# ---------------------------------------------------------------- state and cleanup

work=$(mktemp -d /tmp/cw-bench-consistency.XXXXXX)
sandbox_dir="$work/sb"
cw_pid="" cw_cfg="" checker_pid="" load_pids=() load_port=""
sandbox_started=0

# stop_load: the DO BENCHMARK clients (each under timeout, which passes SIGTERM on to its
# process group), then whatever they left running on the server.
stop_load() {
  local pid
  for pid in "${load_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${load_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  load_pids=()
  if [[ -n "$load_port" ]]; then
    root_sql "$load_port" "SELECT CONCAT('KILL QUERY ', id, ';') FROM information_schema.processlist
      WHERE info LIKE 'DO BENCHMARK%'" 2>/dev/null | root_sql "$load_port" "" >/dev/null 2>&1 || true
    load_port=""
  fi
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [[ -z "$checker_pid" ]] || { kill -TERM "$checker_pid" 2>/dev/null; wait "$checker_pid" 2>/dev/null; }
  stop_load
  [[ -z "$cw_pid" ]] || cw_terminate "$cw_pid" "$cw_cfg" 10
  bench_end "$rc"
}
bench_traps

next_port=$((opt_base_port + 10)) port=""

root_sql() { # PORT SQL (empty SQL: read the statements from stdin)
  if [[ -n "$2" ]]; then
    mariadb -h127.0.0.1 -P"$1" -uroot -proot --connect-timeout=5 -N -B -e "$2"
  else
    mariadb -h127.0.0.1 -P"$1" -uroot -proot --connect-timeout=5 -N -B
  fi
}

# ---------------------------------------------------------------- sandbox and table

cw_log "work directory $work"
cw_log "starting the sandbox (primary on 127.0.0.1:$opt_base_port, 2 replicas)"
sandbox_up 2
# shellcheck disable=SC1091,SC2153 # the names come from sandbox.env
read -r -a server_names < <(source "$sandbox_dir/sandbox.env" && echo "$SANDBOX_NAMES")
# shellcheck disable=SC1091,SC2153
read -r -a server_ports < <(source "$sandbox_dir/sandbox.env" && echo "$ALL_PORTS")
((${#server_names[@]} == 3 && ${#server_ports[@]} == 3)) || cw_die "unexpected $sandbox_dir/sandbox.env"
primary_port=${server_ports[0]}
nservers=${#server_names[@]}
replica_names=("${server_names[@]:1}")
load_target=1                # loaded: replica1
delay_target=$((nservers - 1)) # delayed: the last replica
mariadb_version=$(root_sql "$primary_port" "SELECT VERSION()")

# checker OUTFILE PORT SESSIONS SECONDS [ARG...]: one bounded checker run (in the background
# and waited for, so that Ctrl-C reaches the trap at once). Its exit status is 0, 1 (stale
# reads: not with --allow-stale) or 2 (errors); the summary line is what counts.
checker() {
  local out=$1 port=$2 k=$3 secs=$4 rc=0
  shift 4
  # shellcheck disable=SC2086 # opt_checker_args is a word list on purpose
  timeout -k 5 $((secs + 60)) "$opt_staleness" --host 127.0.0.1 --port "$port" --user app \
    --password app --database demo --sessions "$k" --duration "$secs" --timeout 10 \
    --max-report 3 "$@" $opt_checker_args >"$out" 2>&1 &
  checker_pid=$!
  wait "$checker_pid" || rc=$?
  checker_pid=""
  return "$rc"
}

# The checker's table (demo.staleness), created on the primary, and a 2 s warm-up there.
cw_log "creating the checker's table; 2s warm-up on the primary"
checker "$work/setup.out" "$primary_port" 8 2 --setup --mode "$opt_mode" || {
  cat "$work/setup.out" >&2
  cw_die "the checker failed against the primary"
}
"$repo_root/deploy/sandbox.sh" sync --dir "$sandbox_dir" >>"$work/sandbox.log" 2>&1 ||
  cw_die "the replicas did not catch up after the warm-up"

# ---------------------------------------------------------------- statement counters

counters=(Com_select Master_gtid_wait_count)
status_sql="SHOW GLOBAL STATUS WHERE Variable_name IN ($(printf "'%s'," "${counters[@]}" | sed 's/,$//'))"

# snapshot FILE: the counters of every server as "server counter value" lines, and
# "server .time SECONDS" when they were read. The primary goes first and names its binlog
# position; every replica first waits (up to --catchup seconds) until it has applied it, so
# that every run starts with the replicas level. The wait is a MASTER_GTID_WAIT too, so it
# counts as a check: calibrate_own measures it.
snapshot() { bench_snapshot "$1" "$opt_catchup"; }
deltas() { bench_deltas "$@"; }

# count DELTAS: per server "server reads checks": reads = Com_select - Master_gtid_wait_count
# (each is already net of the script's and the background's own), checks =
# Master_gtid_wait_count; both clamped at 0 and rounded.
count() {
  awk -v names="${server_names[*]}" '
    { d[$1 "|" $2] = $3 }
    function v(s, c) { return (s "|" c) in d ? d[s "|" c] : 0 }
    function pos(x) { return x < 0 ? 0 : x }
    END {
      n = split(names, order, " ")
      for (i = 1; i <= n; i++) {
        s = order[i]
        printf "%s %.0f %.0f\n", s, pos(v(s, "Com_select") - v(s, "Master_gtid_wait_count")), pos(v(s, "Master_gtid_wait_count"))
      }
    }' "$1"
}

cw_log "measuring the status queries' own statements"
calibrate_own

# ---------------------------------------------------------------- causeway

cw_port=""

# write_config FILE SCENARIO: deploy/sandbox.sh config (monitor and replication accounts,
# TLS, users app and root), listener on cw_port, status port off, and the scenario's
# consistency settings.
write_config() {
  local file=$1 sc=$2
  {
    echo "# causeway for tests/bench/consistency.sh, scenario $sc"
    "$repo_root/deploy/sandbox.sh" config --dir "$sandbox_dir" --listen-port "$cw_port" |
      awk '/^status:/ { st = 1 } st && /^  port:/ { print "  port: 0"; next } { print }'
    echo "routing: {read_write_split: true}"
    echo "workers: $opt_workers"
    echo "timeouts: {shutdown_grace: 2s}"
    # info: the consistency summary at shutdown is logged at info (nothing per statement).
    echo "log_level: info"
    [[ "$sc" != session ]] || echo "consistency: {scope: session}"
  } >"$file"
}

# log_has LOG TEXT: a fixed string in the log.
# shellcheck disable=SC2317 # called through cw_wait_ready
log_has() { grep -qF -- "$2" "$1"; }

# start_causeway SCENARIO LOG: a fresh causeway on the first free port from P+10; returns
# once it listens, relays a query, every server's binlog stream is streaming and the monitor
# has seen every server. The port is looked up at every start (and the next one tried if
# another process takes it first): a long run must not trust a port found minutes earlier.
start_causeway() {
  local sc=$1 log=$2 s attempt rc
  cw_cfg="$work/causeway-$sc.yaml"
  next_port=$((opt_base_port + 10))
  for attempt in 1 2 3; do
    free_port
    cw_port=$port
    write_config "$cw_cfg" "$sc"
    "$opt_causeway" --check --config "$cw_cfg" >"$work/causeway.check" 2>&1 || {
      cat "$work/causeway.check" >&2
      cw_die "causeway --check rejected $cw_cfg"
    }
    "$opt_causeway" --config "$cw_cfg" </dev/null >"$log" 2>&1 &
    cw_pid=$!
    rc=0
    cw_wait_ready 30 "$cw_pid" log_has "$log" "causeway ready:" || rc=$?
    ((rc != 0)) || break
    if ((rc == 2)) && log_has "$log" "Address already in use" && ((attempt < 3)); then
      wait "$cw_pid" 2>/dev/null || true
      cw_pid=""
      cw_log "port $cw_port was taken after all; trying the next one"
      continue
    fi
    tail -n 20 "$log" >&2
    cw_die "causeway did not start; see $log"
  done
  wait_ready causeway "$cw_pid" "$cw_port" "$log"
  for s in "${server_names[@]}"; do
    cw_wait_ready 30 "$cw_pid" log_has "$log" "binlog stream '$s': streaming (" ||
      cw_die "causeway's binlog stream of $s did not start within 30s; see $log"
    cw_wait_ready 30 "$cw_pid" log_has "$log" "monitor: server '$s' reachable" ||
      cw_die "causeway's monitor did not reach $s within 30s; see $log"
  done
}

# stop_causeway: SIGTERM and wait for the exit (the shutdown summary is written then).
stop_causeway() {
  [[ -n "$cw_pid" ]] || return 0
  cw_terminate "$cw_pid" "$cw_cfg" 15
  wait "$cw_pid" 2>/dev/null || true
  cw_pid=""
}

# Background statements while nobody runs a workload (the monitor's checks, a few per server
# and second), measured over an idle interval as long as a run, as a rate per second.
cw_log "measuring causeway's background statements (${opt_time}s idle)"
start_causeway ryw "$work/causeway-idle.log"
snapshot "$work/bg0"
sleep "$opt_time"
snapshot "$work/bg1"
stop_causeway
deltas "$work/bg0" "$work/bg1" "$work/own" |
  awk '$2 == ".time" { t[$1] = $3; next } { s[++n] = $1; c[n] = $2; v[n] = $3 }
       END { for (i = 1; i <= n; i++) printf "%s %s %.6f\n", s[i], c[i], (v[i] > 0 ? v[i] / t[s[i]] : 0) }' >"$work/bg"

# ---------------------------------------------------------------- scenario set-up

# start_load: --load-threads clients, each running DO BENCHMARK (about 2 s of one core per
# statement; DO is counted in Com_do, not Com_select) on replica1 until the run is over.
start_load() {
  local i secs=$((opt_time + 15))
  load_port=${server_ports[load_target]}
  for ((i = 0; i < opt_load_threads; i++)); do
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout -k 5 $((secs + 10)) bash -c '
      end=$((SECONDS + $1))
      while ((SECONDS < end)); do
        mariadb -h127.0.0.1 -P"$2" -uroot -proot --connect-timeout=5 -N -B \
          -e "DO BENCHMARK(5000000, MD5(RAND()))" >/dev/null 2>&1 || sleep 0.2
      done' load "$secs" "$load_port" &
    load_pids+=($!)
  done
}

# set_delay SECONDS: MASTER_DELAY on the delayed replica (STOP/START SLAVE around it).
set_delay() {
  root_sql "${server_ports[delay_target]}" "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=$1; START SLAVE" ||
    cw_die "cannot set MASTER_DELAY=$1 on ${server_names[delay_target]}"
}

# ---------------------------------------------------------------- runs

# parse_checker OUTFILE: the summary's fields as "reads writes stale errors read_p50 read_p99
# write_p50 write_p99 duration"; fails if there is no summary.
parse_checker() {
  awk '/^staleness: sessions=/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      found = 1
    }
    END {
      if (!found || f["duration_s"] + 0 <= 0) exit 1
      print f["reads"], f["writes"], f["stale"], f["errors"], f["read_p50_us"], f["read_p99_us"],
        f["write_p50_us"], f["write_p99_us"], f["duration_s"]
    }' "$1"
}

# parse_causeway LOG: "commits waits wait_p50 wait_p99 wait_max deadline fallbacks" from the
# shutdown summary, then "fresh <server> <p50> <p99>" per server; fails without a summary.
parse_causeway() {
  awk -v q="'" '
    # after(s, label): the number that follows label in s ("" if label is absent).
    function after(s, label,   i, rest) {
      i = index(s, label)
      if (i == 0) return ""
      rest = substr(s, i + length(label))
      match(rest, /[0-9]+/)
      return substr(rest, RSTART, RLENGTH)
    }
    /consistency: [0-9]+ commit GTIDs captured/ {
      line = after($0, "consistency: ") " " after($0, "captured; ") " " after($0, "(p50 ") " " \
        after($0, "p99 ") " " after($0, "max ") " " after($0, "us), ") " " after($0, "deadline, ")
      found = 1
    }
    /tracker freshness / {
      split($0, part, q)
      fresh[part[2]] = after($0, "visible p50 ") " " after($0, "us, p99 ")
    }
    END {
      if (!found) exit 1
      print line
      for (k in fresh) print "fresh", k, fresh[k]
    }' "$1"
}

declare -A vals=() cell_err=() sums=()
failures=0 stale_failures=0 run_no=0
nscen=${#scenarios[@]}
total_runs=$((nscen * ${#sessions_list[@]} * opt_repeat))
raw="$work/raw.tsv"
{
  printf 'scenario\tsessions\trep\treads\twrites\tstale\terrors\tread_p50_us\tread_p99_us\twrite_p50_us\twrite_p99_us\tduration_s\tcatchup_s'
  for s in "${server_names[@]}"; do printf '\t%s_reads' "$s"; done
  for s in "${replica_names[@]}"; do printf '\t%s_checks' "$s"; done
  printf '\tcommits\twaits\twait_p50_us\twait_p99_us\twait_max_us\tdeadline\tfallbacks'
  for s in "${replica_names[@]}"; do printf '\t%s_fresh_p50_us\t%s_fresh_p99_us' "$s" "$s"; done
  printf '\n'
} >"$raw"

# add KEY METRIC VALUE: one run's value (the table shows the median over repeats).
add() { vals[$1|$2]+="$3 "; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
compilers_start=$(compilers) busy_runs=0 busy_max=0
cw_log "$total_runs runs of ${opt_time}s: about $(((total_runs * (opt_time + 6) + 59) / 60)) min"

# run_one SCENARIO SESSIONS REP
run_one() {
  local sc=$1 k=$2 rep=$3 key="$1|$2" out log="" port res hint=() busy line
  local reads writes stale errors rp50 rp99 wp50 wp99 dur s r c catchup
  out="$work/run-$sc-$k-$rep"
  run_no=$((run_no + 1))
  busy=$(compilers)
  ((busy == 0)) || busy_runs=$((busy_runs + 1))
  ((busy <= busy_max)) || busy_max=$busy

  [[ "$sc" != delayed ]] || set_delay 1
  if [[ "$sc" == direct ]]; then
    port=$primary_port
  else
    log="$out.causeway.log"
    start_causeway "$sc" "$log"
    port=$cw_port
  fi
  [[ "$sc" != eventual ]] || hint=(--hint '/* causeway: consistency=eventual */')
  [[ "$sc" != loaded ]] || { start_load; sleep 1; }

  snapshot "$out.before"
  local ok=1
  checker "$out.out" "$port" "$k" "$opt_time" --mode "$opt_mode" --allow-stale "${hint[@]}" || true
  res=$(parse_checker "$out.out") || ok=0
  snapshot "$out.after"
  # How long the replicas took to apply the run's last writes (the after-snapshot's wait).
  catchup=$(awk -v p="${server_names[0]}" '$2 == ".time" { if ($1 == p) t0 = $3; else if ($3 > t1) t1 = $3 }
    END { printf "%.1f", t1 - t0 }' "$out.after")
  [[ "$sc" != loaded ]] || stop_load
  if [[ -n "$log" ]]; then
    stop_causeway
    parse_causeway "$log" >"$out.summary" || { ok=0; cw_log "no consistency summary in $log"; }
  fi
  [[ "$sc" != delayed ]] || {
    set_delay 0
    "$repo_root/deploy/sandbox.sh" sync --dir "$sandbox_dir" >>"$work/sandbox.log" 2>&1 ||
      cw_log "warning: the replicas did not catch up after removing MASTER_DELAY"
  }

  if ((!ok)); then
    failures=$((failures + 1)) cell_err[$key]=1 opt_keep=1
    cw_log "run failed: $sc, $k sessions; last lines of $out.out:"
    tail -n 5 "$out.out" >&2 || true
    [[ -z "$log" ]] || tail -n 5 "$log" >&2 || true
    return 0
  fi

  read -r reads writes stale errors rp50 rp99 wp50 wp99 dur <<<"$res"
  if [[ "$sc" == direct ]]; then
    deltas "$out.before" "$out.after" "$work/own" >"$out.deltas"
  else
    deltas "$out.before" "$out.after" "$work/own" "$work/bg" >"$out.deltas"
  fi
  count "$out.deltas" >"$out.counts"

  add "$key" reads_s "$(awk -v a="$reads" -v d="$dur" 'BEGIN { print a / d }')"
  add "$key" writes_s "$(awk -v a="$writes" -v d="$dur" 'BEGIN { print a / d }')"
  add "$key" read_p50 "$rp50"
  add "$key" read_p99 "$rp99"
  add "$key" write_p50 "$wp50"
  add "$key" write_p99 "$wp99"
  add "$key" stale "$stale"
  add "$key" errors "$errors"
  sums[$key|reads]=$((${sums[$key|reads]:-0} + reads))
  sums[$key|writes]=$((${sums[$key|writes]:-0} + writes))
  sums[$key|stale]=$((${sums[$key|stale]:-0} + stale))
  sums[$key|errors]=$((${sums[$key|errors]:-0} + errors))
  line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$sc" "$k" "$rep" "$reads" "$writes" \
    "$stale" "$errors" "$rp50" "$rp99" "$wp50" "$wp99" "$dur" "$catchup")
  add "$key" catchup "$catchup"
  local served="" checks_line=""
  while read -r s r c; do
    sums[$key|reads@$s]=$((${sums[$key|reads@$s]:-0} + r))
    sums[$key|checks@$s]=$((${sums[$key|checks@$s]:-0} + c))
    add "$key" "checks_s@$s" "$(awk -v a="$c" -v d="$dur" 'BEGIN { print a / d }')"
    served+=" $s $r"
  done <"$out.counts"
  for s in "${server_names[@]}"; do line+=$(printf '\t%s' "$(awk -v s="$s" '$1 == s { print $2 }' "$out.counts")"); done
  for s in "${replica_names[@]}"; do
    c=$(awk -v s="$s" '$1 == s { print $3 }' "$out.counts")
    line+=$(printf '\t%s' "$c")
    checks_line+=" $s $(awk -v a="$c" -v d="$dur" 'BEGIN { printf "%.0f", a / d }')/s"
  done

  local commits="" waits="" wp50c="" wp99c="" wmax="" deadline="" fallbacks=""
  if [[ -n "$log" ]]; then
    read -r commits waits wp50c wp99c wmax deadline fallbacks < <(head -n 1 "$out.summary")
    add "$key" waits "$waits"
    add "$key" waits_share "$(awk -v a="$waits" -v b="$reads" 'BEGIN { print (b > 0 ? 100 * a / b : 0) }')"
    add "$key" wait_p50 "$wp50c"
    add "$key" wait_p99 "$wp99c"
    add "$key" deadline "$deadline"
    add "$key" fallbacks "$fallbacks"
    sums[$key|commits]=$((${sums[$key|commits]:-0} + commits))
  fi
  line+=$(printf '\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "${commits:--}" "${waits:--}" "${wp50c:--}" "${wp99c:--}" \
    "${wmax:--}" "${deadline:--}" "${fallbacks:--}")
  for s in "${replica_names[@]}"; do
    local f50="-" f99="-"
    if [[ -n "$log" ]]; then
      read -r _ _ f50 f99 < <(awk -v s="$s" '$1 == "fresh" && $2 == s' "$out.summary") || true
      f50=${f50:--} f99=${f99:--}
      [[ "$f50" == - ]] || { add "$key" "fresh_p50@$s" "$f50"; add "$key" "fresh_p99@$s" "$f99"; }
    fi
    line+=$(printf '\t%s\t%s' "$f50" "$f99")
  done
  printf '%s\n' "$line" >>"$raw"

  if ((stale > 0)) && [[ -n "${must_be_fresh[$sc]:-}" ]]; then
    stale_failures=$((stale_failures + 1)) opt_keep=1
    cw_log "STALE READS under $sc with $k sessions: $stale (see $out.out)"
  fi
  ((errors == 0)) || cw_log "$sc, $k sessions: $errors checker errors (see $out.out)"
  printf '  [%d/%d] %-8s %4s sessions  %6.0f reads/s  read p50 %6s us p99 %7s us  stale %s  reads:%s  checks:%s%s  catch-up %ss%s\n' \
    "$run_no" "$total_runs" "$sc" "$k" "$(awk -v a="$reads" -v d="$dur" 'BEGIN { print a / d }')" "$rp50" "$rp99" \
    "$stale" "$served" "$checks_line" "${waits:+  waited $waits (p50 ${wp50c} us)}" "$catchup" \
    "$( ((busy == 0)) || echo "  ($busy compiler processes running)")" >&2
}

cell=0
for ((rep = 1; rep <= opt_repeat; rep++)); do
  for k in "${sessions_list[@]}"; do
    for ((j = 0; j < nscen; j++)); do
      run_one "${scenarios[(j + cell) % nscen]}" "$k" "$rep"
    done
    cell=$((cell + 1))
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report

# med KEY METRIC: the median over repeats, or "" if none.
med() {
  local v=${vals[$1|$2]:-}
  # shellcheck disable=SC2086
  [[ -z "$v" ]] || median $v
}
f0() { [[ -z "$1" ]] && echo "-" || printf '%.0f' "$1"; }
ms() {
  if [[ -z "$1" ]]; then echo "-"; else awk -v u="$1" 'BEGIN { printf (u < 10000 ? "%.2f" : "%.1f"), u / 1000 }'; fi
}
pair_ms() { echo "$(ms "$(med "$1" "$2")") / $(ms "$(med "$1" "$3")")"; }

# shares KEY: "3% / 49% / 48%" of the reads counted per server.
shares() {
  local key=$1 s total=0 out=""
  for s in "${server_names[@]}"; do total=$((total + ${sums[$key|reads@$s]:-0})); done
  ((total > 0)) || { echo "-"; return; }
  for s in "${server_names[@]}"; do
    out+="${out:+ / }$(awk -v a="${sums[$key|reads@$s]:-0}" -v t="$total" 'BEGIN { printf "%.0f%%", 100 * a / t }')"
  done
  echo "$out"
}

names_slash=$(printf '%s / ' "${server_names[@]}" | sed 's| / $||')
replicas_slash=$(printf '%s / ' "${replica_names[@]}" | sed 's| / $||')
table() {
  local sc k key s row fresh
  local hdr="| scenario | sessions | reads/s | writes/s | read ms p50 / p99 | write ms p50 / p99 | stale reads |"
  hdr+=" reads on $names_slash | checks/s on $replicas_slash | reads that waited | wait ms p50 / p99 | deadline / no-wait fallbacks |"
  local sep="|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"
  for s in "${replica_names[@]}"; do hdr+=" freshness $s µs p50 / p99 |"; sep+="---:|"; done
  echo "$hdr"
  echo "$sep"
  for sc in $all_scenarios; do
    [[ " ${scenarios[*]} " == *" $sc "* ]] || continue
    for k in "${sessions_list[@]}"; do
      key="$sc|$k"
      if [[ -n "${cell_err[$key]:-}" ]]; then
        echo "| ${scenario_label[$sc]} | $k | ERR |"
        continue
      fi
      row="| ${scenario_label[$sc]} | $k | $(f0 "$(med "$key" reads_s)") | $(f0 "$(med "$key" writes_s)") |"
      row+=" $(pair_ms "$key" read_p50 read_p99) | $(pair_ms "$key" write_p50 write_p99) |"
      row+=" $(f0 "$(med "$key" stale)")$( [[ "$(med "$key" errors)" == 0 ]] || echo " ($(f0 "$(med "$key" errors)") errors)") |"
      row+=" $(shares "$key") |"
      local checks=""
      for s in "${replica_names[@]}"; do checks+="${checks:+ / }$(f0 "$(med "$key" "checks_s@$s")")"; done
      row+=" $checks |"
      if [[ "$sc" == direct ]]; then
        row+=" - | - | - |"
        for s in "${replica_names[@]}"; do row+=" - |"; done
      else
        row+=" $(f0 "$(med "$key" waits)") ($(f0 "$(med "$key" waits_share)")%) |"
        if [[ "$(med "$key" waits)" == 0 ]]; then row+=" - |"; else row+=" $(pair_ms "$key" wait_p50 wait_p99) |"; fi
        row+=" $(f0 "$(med "$key" deadline)") / $(f0 "$(med "$key" fallbacks)") |"
        for s in "${replica_names[@]}"; do
          fresh="$(f0 "$(med "$key" "fresh_p50@$s")") / $(f0 "$(med "$key" "fresh_p99@$s")")"
          row+=" $fresh |"
        done
      fi
      echo "$row"
    done
  done
}

# counts_table: the reads counted per server against the checker's own count, the
# visibility checks per transaction (summed over repeats), and how long the replicas took
# after the run to apply its last writes (median).
counts_table() {
  local sc k key s row sum hdr="| scenario | sessions | checker reads |" sep="|---|---:|---:|"
  for s in "${server_names[@]}"; do hdr+=" counted on $s |"; sep+="---:|"; done
  hdr+=" counted/checker | checker writes | commit GTIDs captured |"
  sep+="---:|---:|---:|"
  for s in "${replica_names[@]}"; do hdr+=" checks on $s per commit |"; sep+="---:|"; done
  hdr+=" replicas level after s |"
  sep+="---:|"
  echo "$hdr"
  echo "$sep"
  for sc in $all_scenarios; do
    [[ " ${scenarios[*]} " == *" $sc "* ]] || continue
    for k in "${sessions_list[@]}"; do
      key="$sc|$k"
      [[ -z "${cell_err[$key]:-}" ]] || { echo "| $sc | $k | ERR |"; continue; }
      row="| $sc | $k | ${sums[$key|reads]:-0} |" sum=0
      for s in "${server_names[@]}"; do row+=" ${sums[$key|reads@$s]:-0} |"; sum=$((sum + ${sums[$key|reads@$s]:-0})); done
      row+=" $(ratio "$sum" "${sums[$key|reads]:-0}") | ${sums[$key|writes]:-0} | ${sums[$key|commits]:--} |"
      for s in "${replica_names[@]}"; do
        if [[ "$sc" == direct ]]; then row+=" - |"; else row+=" $(ratio "${sums[$key|checks@$s]:-0}" "${sums[$key|commits]:-0}") |"; fi
      done
      row+=" $(med "$key" catchup) |"
      echo "$row"
    done
  done
}

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
conditions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree at the start: $commit${dirty:+ + uncommitted changes}; binary $opt_causeway (built $(date -u -r "$opt_causeway" '+%Y-%m-%d %H:%M UTC'))"
  echo "- machine: $(nproc) CPUs, $cpu_model; $(uname -sr); the checker, causeway and the three servers share them"
  echo "- MariaDB $mariadb_version (sandbox: primary + 2 replicas, row-based replication, log_slave_updates)"
  echo "- checker: causeway_staleness --mode $opt_mode --allow-stale, ${opt_time}s per run, median of $opt_repeat run(s)${opt_checker_args:+, extra: $opt_checker_args}"
  echo "- causeway: workers $opt_workers, a fresh process per run, consistency defaults (read_your_writes, wait 500 ms, on_timeout primary) unless the scenario says otherwise; monitor every 250 ms, binlog streams of all three servers"
  echo "- loaded: $opt_load_threads clients running DO BENCHMARK(5000000, MD5(RAND())) on ${server_names[load_target]}; delayed: MASTER_DELAY=1 on ${server_names[delay_target]}"
  echo "- load average (1/5/15 min) before: $load_start, after: $load_end (includes the benchmark's own processes)"
  echo "- other builds: $compilers_start compiler/linker processes at start; present at the start of $busy_runs of $total_runs runs (at most $busy_max at once)"
}

report=$(
  conditions
  echo
  table
  echo
  counts_table
)
bench_publish "$report"
if ((failures > 0 || stale_failures > 0)); then
  ((failures == 0)) || cw_log "$failures run(s) failed"
  ((stale_failures == 0)) || cw_log "$stale_failures run(s) that must not read stale data did"
  cw_log "outputs kept in $work"
  exit 1
fi
exit 0
