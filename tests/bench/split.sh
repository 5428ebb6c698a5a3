#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../..
# tests/bench/split.sh — read/write splitting: sysbench straight to the primary versus
# through causeway spreading the reads over replicas.
#
#   tests/bench/split.sh [options]
#
# Brings up its own MariaDB sandbox (deploy/sandbox.sh: a primary and 2 replicas) in a
# temporary directory, prepares sbtest, starts causeway with routing.read_write_split on
# and every server configured, and runs every (workload, threads) cell against two
# targets, alternating which goes first from cell to cell and repeat to repeat:
#   direct    sysbench -> MariaDB primary
#   causeway  sysbench -> causeway (read/write split) -> primary, replica1, replica2
# Around every run it reads SHOW GLOBAL STATUS on every server (root over TCP, after the
# replicas have caught up) and counts the statements the workload executed on each server:
# Com_select + Com_insert + Com_update + Com_delete + Com_begin + Com_commit + Com_rollback,
# less what the replication SQL thread applied (it bumps the write and transaction counters
# of a replica but not its Questions, which is how it is told apart), less the script's own
# status queries and causeway's health checks (both measured before the runs).
# Prints a Markdown table (QPS and p95 per target, the share of statements per server) and,
# with --out, also writes it (with the run's conditions) to a file. See docs/performance.md.
#
# Options:
#   --time S               seconds per sysbench run (default 10)
#   --threads "8 32"       sysbench thread counts
#   --workloads "oltp_read_only oltp_read_write"
#                          read-only workloads (oltp_read_only, oltp_point_select,
#                          select_random_*) run with --skip_trx=on; the others with
#                          transactions and --mysql-ignore-errors=1213,1205,1020
#   --repeat N             run every cell N times; median QPS and p95, summed counts (default 1)
#   --workers N            causeway worker threads (default 1)
#   --replicas N           sandbox replicas, all configured in causeway (default 2)
#   --tables N             sbtest tables (default 4)
#   --table-size N         rows per table (default 10000)
#   --ps-mode auto|disable sysbench --db-ps-mode (default auto: server-side prepared statements)
#   --warmup S             untimed oltp_read_only run per target before measuring (default 3; 0 = none)
#   --base-port P          sandbox primary port (default 24406; replica i on P+i); causeway
#                          takes the first free port from P+10
#   --causeway BIN         causeway binary (default $CAUSEWAY_BIN, else build/proxy/causeway)
#   --out FILE             also write the results as Markdown to FILE
#   --raw FILE             also write every single run (TSV, with per-server counts) to FILE
#   --keep                 keep the work directory (logs, config, sysbench output, snapshots)
#   --sysbench-args "..."  extra arguments for every sysbench run
#
# Everything runs on 127.0.0.1. Every sysbench run is bounded by `timeout`; on exit (also
# on error or Ctrl-C) causeway and the sandbox are stopped by pid.
# Exit status: 0 if every run succeeded, 1 if any run failed (its cell shows ERR).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$bench_dir/../.." && pwd)
# shellcheck source=deploy/lib.sh
source "$repo_root/deploy/lib.sh"
# shellcheck source=tests/bench/lib.sh
source "$bench_dir/lib.sh"
# shellcheck disable=SC2034 # read by the cw_* helpers
CW_PROG=bench-split

usage() {
  sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# ---------------------------------------------------------------- options

opt_time=10 opt_threads="8 32" opt_workloads="oltp_read_only oltp_read_write"
opt_repeat=1 opt_workers=1 opt_replicas=2 opt_tables=4 opt_table_size=10000
opt_ps_mode=auto opt_warmup=3 opt_base_port=24406 opt_out="" opt_raw="" opt_keep=0
opt_sysbench_args="" opt_causeway=${CAUSEWAY_BIN:-$repo_root/build/proxy/causeway}

while [[ $# -gt 0 ]]; do
  case "$1" in
  --time) cw_need_value "$@"; opt_time=$2; shift 2 ;;
  --threads) cw_need_value "$@"; opt_threads=$2; shift 2 ;;
  --workloads) cw_need_value "$@"; opt_workloads=$2; shift 2 ;;
  --repeat) cw_need_value "$@"; opt_repeat=$2; shift 2 ;;
  --workers) cw_need_value "$@"; opt_workers=$2; shift 2 ;;
  --replicas) cw_need_value "$@"; opt_replicas=$2; shift 2 ;;
  --tables) cw_need_value "$@"; opt_tables=$2; shift 2 ;;
  --table-size) cw_need_value "$@"; opt_table_size=$2; shift 2 ;;
  --ps-mode) cw_need_value "$@"; opt_ps_mode=$2; shift 2 ;;
  --warmup) cw_need_value "$@"; opt_warmup=$2; shift 2 ;;
  --base-port) cw_need_value "$@"; opt_base_port=$2; shift 2 ;;
  --causeway) cw_need_value "$@"; opt_causeway=$2; shift 2 ;;
  --out) cw_need_value "$@"; opt_out=$2; shift 2 ;;
  --raw) cw_need_value "$@"; opt_raw=$2; shift 2 ;;
  --keep) opt_keep=1; shift ;;
  --sysbench-args) cw_need_value "$@"; opt_sysbench_args=$2; shift 2 ;;
  -h | --help) usage 0 ;;
  *) cw_die "unknown argument $1 (see $0 --help)" ;;
  esac
done

is_pos "$opt_time" || cw_die "--time must be a positive number of seconds"
is_pos "$opt_repeat" || cw_die "--repeat must be >= 1"
is_pos "$opt_tables" || cw_die "--tables must be >= 1"
is_pos "$opt_table_size" || cw_die "--table-size must be >= 1"
is_uint "$opt_warmup" || cw_die "--warmup must be whole seconds"
{ is_uint "$opt_workers" && ((opt_workers <= 256)); } || cw_die "--workers must be 0..256 (0 = one per core)"
{ is_pos "$opt_replicas" && ((opt_replicas <= 9)); } || cw_die "--replicas must be 1..9"
{ is_uint "$opt_base_port" && ((opt_base_port >= 1024 && opt_base_port <= 65000)); } ||
  cw_die "--base-port must be 1024..65000"
[[ "$opt_ps_mode" == auto || "$opt_ps_mode" == disable ]] || cw_die "--ps-mode must be auto or disable"
read -r -a threads_list <<<"$opt_threads"
read -r -a workloads <<<"$opt_workloads"
((${#threads_list[@]} > 0 && ${#workloads[@]} > 0)) || cw_die "--threads and --workloads must not be empty"
for t in "${threads_list[@]}"; do is_pos "$t" || cw_die "bad thread count '$t'"; done
for wl in "${workloads[@]}"; do
  [[ "$wl" =~ ^[a-z_]+$ ]] || cw_die "bad workload name '$wl'"
done

cw_require_tools sysbench mariadb mariadbd timeout awk sort
[[ -x "$opt_causeway" ]] || cw_die "no causeway binary at $opt_causeway; build it" \
  "(cmake --build build --target causeway) or pass --causeway BIN"
opt_causeway=$(cw_abs_path "$opt_causeway")
[[ -z "$opt_out" ]] || opt_out=$(cw_abs_path "$opt_out")
[[ -z "$opt_raw" ]] || opt_raw=$(cw_abs_path "$opt_raw")

# workload_args WORKLOAD: the sysbench arguments that depend on the workload.
workload_args() {
  case "$1" in
  oltp_read_only | oltp_point_select | select_random_*) echo "--skip_trx=on" ;;
  # Writers on a few thousand rows meet real InnoDB deadlocks and lock waits now and then,
  # straight to MariaDB too (see tests/integration/sysbench_test.sh); nothing else is ignored.
  *) echo "--mysql-ignore-errors=1213,1205,1020" ;;
  esac
}

# ---------------------------------------------------------------- state and cleanup

work=$(mktemp -d /tmp/cw-bench-split.XXXXXX)
sandbox_dir="$work/sb"
cw_pid="" cw_cfg="$work/causeway.yaml" sysbench_pid=""
sandbox_started=0

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  # A running sysbench (under timeout, which passes SIGTERM on to it).
  [[ -z "$sysbench_pid" ]] || { kill -TERM "$sysbench_pid" 2>/dev/null; wait "$sysbench_pid" 2>/dev/null; }
  # causeway drains on SIGTERM (shutdown_grace is 2s in the bench config).
  [[ -z "$cw_pid" ]] || cw_terminate "$cw_pid" "$cw_cfg" 10
  bench_end "$rc"
}
bench_traps

next_port=$((opt_base_port + 10)) port=""

# ---------------------------------------------------------------- sandbox

cw_log "work directory $work"
cw_log "starting the sandbox (primary on 127.0.0.1:$opt_base_port, $opt_replicas replicas)"
sandbox_up "$opt_replicas"
# shellcheck disable=SC1091,SC2153 # the names come from sandbox.env
read -r -a server_names < <(source "$sandbox_dir/sandbox.env" && echo "$SANDBOX_NAMES")
# shellcheck disable=SC1091,SC2153
read -r -a server_ports < <(source "$sandbox_dir/sandbox.env" && echo "$ALL_PORTS")
((${#server_names[@]} == opt_replicas + 1 && ${#server_ports[@]} == opt_replicas + 1)) ||
  cw_die "unexpected $sandbox_dir/sandbox.env"
primary_port=${server_ports[0]}
nservers=${#server_names[@]}
mariadb_version=$(mariadb -h127.0.0.1 -P"$primary_port" -uapp -papp -N -B -e "SELECT VERSION()")

sb_common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=app --mysql-password=app
  --mysql-db=sbtest --tables="$opt_tables" --table-size="$opt_table_size")

cw_log "preparing sbtest: $opt_tables tables x $opt_table_size rows"
prepare_sbtest "$primary_port"

# ---------------------------------------------------------------- statement counters

# The counters read on every server. Questions counts the statements clients sent
# (COM_QUERY, COM_STMT_EXECUTE; not prepares, not what the replication SQL thread applies);
# Com_set_option and Com_change_db are causeway's session set-up, not the workload's.
counters=(Questions Com_select Com_insert Com_update Com_delete Com_begin Com_commit Com_rollback
  Com_set_option Com_change_db Com_stmt_execute)
status_sql="SHOW GLOBAL STATUS WHERE Variable_name IN ($(printf "'%s'," "${counters[@]}" | sed 's/,$//'))"

root_sql() { # PORT SQL
  mariadb -h127.0.0.1 -P"$1" -uroot -proot --connect-timeout=5 -N -B -e "$2"
}

# snapshot FILE: the counters of every server as "server counter value" lines, and
# "server .time SECONDS" when they were read. The primary goes first and names its binlog
# position; every replica first waits (up to 120 s) until it has applied it, so the counts
# include all of a run's replication. Always the same statements, so their own part is a
# constant (see calibrate_own).
snapshot() { bench_snapshot "$1" 120; }
deltas() { bench_deltas "$@"; }

# count DELTAS: per server "server workload reads applied setup", integers, where
#   reads    = Com_select
#   wtx      = Com_insert + Com_update + Com_delete + Com_begin + Com_commit + Com_rollback
#   client   = Questions - Com_set_option - Com_change_db (statements clients sent)
#   workload = reads + the part of wtx that clients sent: min(wtx, client - reads)
#   applied  = the rest of wtx: applied by the replication SQL thread
#   setup    = Com_set_option + Com_change_db
count() {
  awk -v names="${server_names[*]}" '
    { d[$1 "|" $2] = $3 }
    function v(s, c) { return (s "|" c) in d ? d[s "|" c] : 0 }
    function pos(x) { return x < 0 ? 0 : x }
    END {
      n = split(names, order, " ")
      for (i = 1; i <= n; i++) {
        s = order[i]
        reads = pos(v(s, "Com_select"))
        wtx = pos(v(s, "Com_insert") + v(s, "Com_update") + v(s, "Com_delete") + v(s, "Com_begin") + v(s, "Com_commit") + v(s, "Com_rollback"))
        setup = pos(v(s, "Com_set_option") + v(s, "Com_change_db"))
        client = pos(v(s, "Questions") - setup)
        cw = pos(client - reads); if (cw > wtx) cw = wtx
        printf "%s %.0f %.0f %.0f %.0f\n", s, reads + cw, reads, wtx - cw, setup
      }
    }' "$1"
}

cw_log "measuring the status queries' own statements"
calibrate_own

# ---------------------------------------------------------------- causeway

free_port
cw_port=$port
{
  echo "# causeway for tests/bench/split.sh: read/write splitting over the sandbox."
  echo "listeners: [{name: main, address: 127.0.0.1, port: $cw_port}]"
  echo "servers:"
  for ((i = 0; i < nservers; i++)); do
    if ((i == 0)); then role=primary; else role=replica; fi
    echo "  - {name: ${server_names[i]}, host: 127.0.0.1, port: ${server_ports[i]}, role: $role}"
  done
  echo "users: [{name: app, password: app}]"
  echo "monitor: {user: monitor, password: monitor}"
  echo "routing: {read_write_split: true}"
  echo "workers: $opt_workers"
  echo "timeouts: {shutdown_grace: 2s}"
  echo "log_level: warn"
} >"$cw_cfg"
"$opt_causeway" --check --config "$cw_cfg" >"$work/causeway.check" 2>&1 || {
  cat "$work/causeway.check" >&2
  cw_die "causeway --check rejected $cw_cfg"
}
"$opt_causeway" --config "$cw_cfg" </dev/null >"$work/causeway.log" 2>&1 &
cw_pid=$!
wait_ready causeway "$cw_pid" "$cw_port" "$work/causeway.log"
cw_log "causeway (workers $opt_workers, read_write_split on) on 127.0.0.1:$cw_port, pid $cw_pid"
declare -A port_of=([direct]=$primary_port [causeway]=$cw_port)
targets=(direct causeway)

# Background statements while nobody runs a workload: causeway's health checks (a few per
# server and second). Measured as a rate and taken off every run by its duration.
cw_log "measuring causeway's background statements (3s idle)"
snapshot "$work/bg0"
sleep 3
snapshot "$work/bg1"
deltas "$work/bg0" "$work/bg1" "$work/own" |
  awk '$2 == ".time" { t[$1] = $3; next } { s[++n] = $1; c[n] = $2; v[n] = $3 }
       END { for (i = 1; i <= n; i++) printf "%s %s %.6f\n", s[i], c[i], (v[i] > 0 ? v[i] / t[s[i]] : 0) }' >"$work/bg"

# ---------------------------------------------------------------- runs

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
compilers_start=$(compilers) busy_runs=0 busy_max=0

if ((opt_warmup > 0)); then
  cw_log "warm-up: ${opt_warmup}s of oltp_read_only per target"
  for tg in "${targets[@]}"; do
    run_sysbench "$work/warmup-$tg.out" "${port_of[$tg]}" oltp_read_only 4 "$opt_warmup" --skip_trx=on || {
      tail -n 20 "$work/warmup-$tg.out" >&2
      cw_die "warm-up against $tg failed"
    }
  done
fi

# total_queries OUTFILE: sysbench's count of the statements it ran.
total_queries() { awk '/^ *queries:/ { print $2 }' "$1"; }

ncells=$((${#workloads[@]} * ${#threads_list[@]}))
total_runs=$((ncells * opt_repeat * 2))
cw_log "$total_runs runs of ${opt_time}s: about $(((total_runs * (opt_time + 3) + 59) / 60)) min"

raw="$work/raw.tsv"
{
  printf 'workload\tthreads\trep\ttarget\tqps\tp95_ms\terrors\tcompilers\tsysbench_queries'
  for s in "${server_names[@]}"; do printf '\t%s_statements\t%s_applied' "$s" "$s"; done
  printf '\n'
} >"$raw"
failures=0 run_no=0 cell=0 cw_died=0
declare -A qps_runs=() p95_runs=() cell_err=() stmts=() applied=() sb_queries=()
for wl in "${workloads[@]}"; do
  read -r -a wl_args <<<"$(workload_args "$wl")"
  for th in "${threads_list[@]}"; do
    for ((rep = 1; rep <= opt_repeat; rep++)); do
      if (((cell + rep - 1) % 2)); then order=(causeway direct); else order=(direct causeway); fi
      for tg in "${order[@]}"; do
        run_no=$((run_no + 1))
        out="$work/run-$wl-$th-$rep-$tg.out"
        key="$wl|$th|$tg"
        busy=$(compilers)
        ((busy == 0)) || busy_runs=$((busy_runs + 1))
        ((busy <= busy_max)) || busy_max=$busy
        snapshot "$out.before"
        if run_sysbench "$out" "${port_of[$tg]}" "$wl" "$th" "$opt_time" "${wl_args[@]}" &&
          res=$(parse "$out"); then
          snapshot "$out.after"
          deltas "$out.before" "$out.after" "$work/own" "$work/bg" >"$out.deltas"
          count "$out.deltas" >"$out.counts"
          read -r q p e <<<"$res"
          nq=$(total_queries "$out")
          qps_runs[$key]+="$q " p95_runs[$key]+="$p "
          sb_queries[$key]=$((${sb_queries[$key]:-0} + nq))
          line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$wl" "$th" "$rep" "$tg" "$q" "$p" "$e" "$busy" "$nq")
          shares=""
          while read -r s w _ a _; do
            stmts[$key|$s]=$((${stmts[$key|$s]:-0} + w))
            applied[$key|$s]=$((${applied[$key|$s]:-0} + a))
            line+=$(printf '\t%s\t%s' "$w" "$a")
            shares+=" $s $w"
          done <"$out.counts"
          printf '%s\n' "$line" >>"$raw"
          ((e == 0)) || cw_log "$tg $wl $th threads: $e errors/reconnects (see $out)"
          printf '  [%d/%d] %-16s %3s thr  %-9s %8.0f qps  p95 %7s ms  statements:%s%s\n' \
            "$run_no" "$total_runs" "$wl" "$th" "$tg" "$q" "$p" "$shares" \
            "$( ((busy == 0)) || echo "  ($busy compiler processes running)")" >&2
        else
          failures=$((failures + 1)) cell_err[$key]=1
          printf '%s\t%s\t%s\t%s\tERR\tERR\t-\t%s\n' "$wl" "$th" "$rep" "$tg" "$busy" >>"$raw"
          cw_log "run failed: $tg $wl $th threads; last lines of $out:"
          tail -n 5 "$out" >&2 || true
          opt_keep=1
          if ((!cw_died)) && ! cw_pid_alive "$cw_pid"; then
            cw_died=1
            cw_log "causeway (pid $cw_pid) has exited; last lines of $work/causeway.log:"
            tail -n 20 "$work/causeway.log" >&2 || true
          fi
        fi
      done
    done
    cell=$((cell + 1))
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report

# cell_value KIND WORKLOAD THREADS TARGET: median QPS or p95 of a cell, or ERR.
cell_value() {
  local key="$2|$3|$4" vals
  if [[ -n "${cell_err[$key]:-}" ]]; then echo ERR; return; fi
  if [[ "$1" == qps ]]; then vals=${qps_runs[$key]:-}; else vals=${p95_runs[$key]:-}; fi
  # shellcheck disable=SC2086
  [[ -n "$vals" ]] && median $vals || echo ERR
}
# shares WORKLOAD THREADS TARGET: "31% / 35% / 34%" of the counted statements per server.
shares() {
  local key="$1|$2|$3" s total=0 out=""
  [[ -z "${cell_err[$key]:-}" ]] || { echo ERR; return; }
  for s in "${server_names[@]}"; do total=$((total + ${stmts[$key|$s]:-0})); done
  ((total > 0)) || { echo "-"; return; }
  for s in "${server_names[@]}"; do
    out+="${out:+ / }$(awk -v a="${stmts[$key|$s]:-0}" -v t="$total" 'BEGIN { printf "%.0f%%", 100 * a / t }')"
  done
  echo "$out"
}

names_slash=$(printf '%s / ' "${server_names[@]}" | sed 's| / $||')
table() {
  local wl th qd qc
  echo "| workload | threads | QPS direct | QPS causeway | causeway/direct | p95 ms direct | p95 ms causeway | statements through causeway ($names_slash) | direct: on ${server_names[0]} |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|---:|"
  for wl in "${workloads[@]}"; do
    for th in "${threads_list[@]}"; do
      qd=$(cell_value qps "$wl" "$th" direct) qc=$(cell_value qps "$wl" "$th" causeway)
      echo "| ${wl#oltp_} | $th | $(fmt_qps "$qd") | $(fmt_qps "$qc") | $(ratio "$qc" "$qd") |" \
        "$(fmt_ms "$(cell_value p95 "$wl" "$th" direct)") | $(fmt_ms "$(cell_value p95 "$wl" "$th" causeway)") |" \
        "$(shares "$wl" "$th" causeway) | $(shares "$wl" "$th" direct | cut -d' ' -f1) |"
    done
  done
}
# counts_table: the statements counted per server against sysbench's own count, and what
# replication applied on the replicas (summed over repeats).
counts_table() {
  local wl th tg key s hdr="| workload | threads | target | sysbench queries |" sep="|---|---:|---|---:|" row sum
  for s in "${server_names[@]}"; do hdr+=" counted on $s |"; sep+="---:|"; done
  hdr+=" counted/sysbench |"
  sep+="---:|"
  for s in "${server_names[@]:1}"; do hdr+=" applied by replication on $s |"; sep+="---:|"; done
  echo "$hdr"
  echo "$sep"
  for wl in "${workloads[@]}"; do
    for th in "${threads_list[@]}"; do
      for tg in "${targets[@]}"; do
        key="$wl|$th|$tg"
        [[ -z "${cell_err[$key]:-}" ]] || { echo "| ${wl#oltp_} | $th | $tg | ERR |"; continue; }
        row="| ${wl#oltp_} | $th | $tg | ${sb_queries[$key]:-0} |" sum=0
        for s in "${server_names[@]}"; do row+=" ${stmts[$key|$s]:-0} |"; sum=$((sum + ${stmts[$key|$s]:-0})); done
        row+=" $(ratio "$sum" "${sb_queries[$key]:-0}") |"
        for s in "${server_names[@]:1}"; do row+=" ${applied[$key|$s]:-0} |"; done
        echo "$row"
      done
    done
  done
}

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$repo_root" status --porcelain --untracked-files=no 2>/dev/null || true)
sysbench_version=$(sysbench --version 2>/dev/null || true)
conditions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); causeway $commit${dirty:+ + uncommitted changes}, binary $opt_causeway (built $(date -u -r "$opt_causeway" '+%Y-%m-%d %H:%M UTC'))"
  echo "- machine: $(nproc) CPUs, $cpu_model; $(uname -sr)"
  echo "- MariaDB $mariadb_version (sandbox: primary + $opt_replicas replicas, row-based replication); $sysbench_version"
  echo "- sysbench: ${opt_time}s per run, median of $opt_repeat run(s), --db-ps-mode=$opt_ps_mode, $opt_tables tables x $opt_table_size rows${opt_sysbench_args:+, extra: $opt_sysbench_args}"
  echo "- causeway: workers $opt_workers, routing.read_write_split on, monitor every 250 ms (default); everything on 127.0.0.1, sharing the same CPUs"
  echo "- load average (1/5/15 min) before: $load_start, after: $load_end (includes the benchmark's own threads)"
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
if ((failures > 0)); then
  cw_log "$failures run(s) failed; outputs kept in $work"
  exit 1
fi
exit 0
