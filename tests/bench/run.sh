#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../..
# tests/bench/run.sh — sysbench through causeway versus a plain TCP relay and no proxy.
#
#   tests/bench/run.sh [options]
#
# Brings up its own MariaDB sandbox (deploy/sandbox.sh, primary only) in a temporary
# directory, prepares sbtest, and runs every (workload, threads) cell against three
# targets, one after the other, rotating which target goes first from cell to cell so
# that drift (other load, CPU frequency, caches) hits every target alike:
#   direct    sysbench -> MariaDB primary
#   haproxy   sysbench -> haproxy (mode tcp, one backend = the primary) -> primary
#   causeway  sysbench -> causeway (one server: the primary) -> primary
# Prints a Markdown table (QPS and p95 latency per target, ratios to direct) and, with
# --out, also writes it (with the run's conditions) to a file. See docs/performance.md.
#
# Options:
#   --time S               seconds per sysbench run (default 10)
#   --threads "1 8 32"     sysbench thread counts
#   --workloads "oltp_point_select oltp_read_only"
#   --repeat N             run every cell N times; report the median QPS and p95 (default 1)
#   --workers "1"          causeway worker threads; a list ("1 2") starts one causeway per
#                          count and benchmarks each as its own target (causeway-w1, ...)
#   --haproxy-threads N    haproxy nbthread (default: the first --workers value, so both
#                          relays get the same number of event-loop threads)
#   --tables N             sbtest tables (default 4)
#   --table-size N         rows per table (default 10000)
#   --ps-mode auto|disable sysbench --db-ps-mode (default auto: server-side prepared statements)
#   --warmup S             untimed run per target before measuring (default 3; 0 = none)
#   --base-port P          sandbox primary port (default 24306); haproxy and causeway take
#                          the first free ports from P+10
#   --causeway BIN         causeway binary (default $CAUSEWAY_BIN, else build/proxy/causeway)
#   --out FILE             also write the results as Markdown to FILE
#   --raw FILE             also write every single run (TSV) to FILE
#   --keep                 keep the work directory (logs, configs, sysbench output)
#   --sysbench-args "..."  extra arguments for every sysbench run
#
# Everything runs on 127.0.0.1. Every sysbench run is bounded by `timeout`; on exit (also
# on error or Ctrl-C) causeway, haproxy and the sandbox are stopped by pid.
# Exit status: 0 if every run succeeded, 1 if any run failed (its cell shows ERR).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$bench_dir/../.." && pwd)
# shellcheck source=deploy/lib.sh
source "$repo_root/deploy/lib.sh"
# shellcheck source=tests/bench/lib.sh
source "$bench_dir/lib.sh"
# shellcheck disable=SC2034 # read by the cw_* helpers
CW_PROG=bench

usage() {
  sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# ---------------------------------------------------------------- options

opt_time=10 opt_threads="1 8 32" opt_workloads="oltp_point_select oltp_read_only"
opt_repeat=1 opt_workers="1" opt_haproxy_threads="" opt_tables=4 opt_table_size=10000
opt_ps_mode=auto opt_warmup=3 opt_base_port=24306 opt_out="" opt_raw="" opt_keep=0
opt_sysbench_args="" opt_causeway=${CAUSEWAY_BIN:-$repo_root/build/proxy/causeway}

need_value() { [[ $# -ge 2 && -n "$2" ]] || cw_die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
  --time) need_value "$@"; opt_time=$2; shift 2 ;;
  --threads) need_value "$@"; opt_threads=$2; shift 2 ;;
  --workloads) need_value "$@"; opt_workloads=$2; shift 2 ;;
  --repeat) need_value "$@"; opt_repeat=$2; shift 2 ;;
  --workers) need_value "$@"; opt_workers=$2; shift 2 ;;
  --haproxy-threads) need_value "$@"; opt_haproxy_threads=$2; shift 2 ;;
  --tables) need_value "$@"; opt_tables=$2; shift 2 ;;
  --table-size) need_value "$@"; opt_table_size=$2; shift 2 ;;
  --ps-mode) need_value "$@"; opt_ps_mode=$2; shift 2 ;;
  --warmup) need_value "$@"; opt_warmup=$2; shift 2 ;;
  --base-port) need_value "$@"; opt_base_port=$2; shift 2 ;;
  --causeway) need_value "$@"; opt_causeway=$2; shift 2 ;;
  --out) need_value "$@"; opt_out=$2; shift 2 ;;
  --raw) need_value "$@"; opt_raw=$2; shift 2 ;;
  --keep) opt_keep=1; shift ;;
  --sysbench-args) need_value "$@"; opt_sysbench_args=$2; shift 2 ;;
  -h | --help) usage 0 ;;
  *) cw_die "unknown argument $1 (see $0 --help)" ;;
  esac
done

is_pos "$opt_time" || cw_die "--time must be a positive number of seconds"
is_pos "$opt_repeat" || cw_die "--repeat must be >= 1"
is_pos "$opt_tables" || cw_die "--tables must be >= 1"
is_pos "$opt_table_size" || cw_die "--table-size must be >= 1"
is_uint "$opt_warmup" || cw_die "--warmup must be whole seconds"
{ is_uint "$opt_base_port" && ((opt_base_port >= 1024 && opt_base_port <= 65000)); } ||
  cw_die "--base-port must be 1024..65000"
[[ "$opt_ps_mode" == auto || "$opt_ps_mode" == disable ]] || cw_die "--ps-mode must be auto or disable"
read -r -a threads_list <<<"$opt_threads"
read -r -a workloads <<<"$opt_workloads"
read -r -a workers_list <<<"$opt_workers"
((${#threads_list[@]} > 0 && ${#workloads[@]} > 0 && ${#workers_list[@]} > 0)) ||
  cw_die "--threads, --workloads and --workers must not be empty"
for t in "${threads_list[@]}"; do is_pos "$t" || cw_die "bad thread count '$t'"; done
for w in "${workers_list[@]}"; do
  { is_uint "$w" && ((w <= 256)); } || cw_die "bad worker count '$w' (0..256; 0 = one per core)"
done
for wl in "${workloads[@]}"; do
  [[ "$wl" =~ ^[a-z_]+$ ]] || cw_die "bad workload name '$wl'"
done
opt_haproxy_threads=${opt_haproxy_threads:-${workers_list[0]}}
is_uint "$opt_haproxy_threads" || cw_die "--haproxy-threads must be a number"
# causeway's "workers: 0" means one per core; give haproxy the same.
((opt_haproxy_threads > 0)) || opt_haproxy_threads=$(nproc)

cw_require_tools sysbench haproxy mariadb mariadbd timeout awk sort
[[ -x "$opt_causeway" ]] || cw_die "no causeway binary at $opt_causeway; build it" \
  "(cmake --build build --target causeway) or pass --causeway BIN"
opt_causeway=$(cw_abs_path "$opt_causeway")
[[ -z "$opt_out" ]] || opt_out=$(cw_abs_path "$opt_out")
[[ -z "$opt_raw" ]] || opt_raw=$(cw_abs_path "$opt_raw")

# ---------------------------------------------------------------- state and cleanup

work=$(mktemp -d /tmp/cw-bench.XXXXXX)
sandbox_dir="$work/sb"
haproxy_pid="" haproxy_cfg="$work/haproxy.cfg" sysbench_pid=""
declare -A cw_pid=() cw_cfg=() port_of=()
sandbox_started=0

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$? w
  trap - EXIT INT TERM
  set +e
  # A running sysbench (under timeout, which passes SIGTERM on to it).
  [[ -z "$sysbench_pid" ]] || { kill -TERM "$sysbench_pid" 2>/dev/null; wait "$sysbench_pid" 2>/dev/null; }
  for w in "${!cw_pid[@]}"; do
    # causeway drains on SIGTERM (shutdown_grace is 2s in the bench config).
    cw_terminate "${cw_pid[$w]}" "${cw_cfg[$w]}" 10
  done
  [[ -z "$haproxy_pid" ]] || cw_terminate "$haproxy_pid" "$haproxy_cfg" 10
  bench_end "$rc"
}
bench_traps

# ---------------------------------------------------------------- ports

next_port=$((opt_base_port + 10)) port=""

# ---------------------------------------------------------------- sandbox

cw_log "work directory $work"
cw_log "starting the sandbox (primary on 127.0.0.1:$opt_base_port)"
sandbox_up 0
# shellcheck disable=SC1091,SC2153 # PRIMARY_PORT comes from sandbox.env
primary_port=$(source "$sandbox_dir/sandbox.env" && echo "$PRIMARY_PORT")
mariadb_version=$(mariadb -h127.0.0.1 -P"$primary_port" -uapp -papp -N -B -e "SELECT VERSION()")
port_of[direct]=$primary_port

sb_common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=app --mysql-password=app
  --mysql-db=sbtest --tables="$opt_tables" --table-size="$opt_table_size")

cw_log "preparing sbtest: $opt_tables tables x $opt_table_size rows"
prepare_sbtest "$primary_port"

# ---------------------------------------------------------------- relays

free_port
haproxy_port=$port
sed -e "s/@NBTHREAD@/$opt_haproxy_threads/" -e "s/@LISTEN_PORT@/$haproxy_port/" \
  -e "s/@BACKEND_PORT@/$primary_port/" "$bench_dir/haproxy.cfg.in" >"$haproxy_cfg"
haproxy -c -q -f "$haproxy_cfg" >"$work/haproxy.log" 2>&1 || {
  cat "$work/haproxy.log" >&2
  cw_die "haproxy rejected $haproxy_cfg"
}
haproxy -db -f "$haproxy_cfg" </dev/null >>"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
wait_ready haproxy "$haproxy_pid" "$haproxy_port" "$work/haproxy.log"
port_of[haproxy]=$haproxy_port
cw_log "haproxy (nbthread $opt_haproxy_threads) on 127.0.0.1:$haproxy_port, pid $haproxy_pid"

targets=(direct haproxy)
for w in "${workers_list[@]}"; do
  if ((${#workers_list[@]} == 1)); then name=causeway; else name=causeway-w$w; fi
  [[ -z "${port_of[$name]:-}" ]] || cw_die "--workers lists $w twice"
  free_port
  cfg="$work/$name.yaml"
  cat >"$cfg" <<EOF
# causeway for tests/bench/run.sh: one listener, the sandbox primary only, no monitor,
# no binlog client, no status port, no TLS: the bare relay path.
listeners:
  - name: main
    address: 127.0.0.1
    port: $port
servers:
  - name: primary
    host: 127.0.0.1
    port: $primary_port
    role: primary
users:
  - name: app
    password: app
    auth_plugin: mysql_native_password
workers: $w
routing:
  read_write_split: false
timeouts:
  shutdown_grace: 2s
log_level: warn
EOF
  "$opt_causeway" --check --config "$cfg" >"$work/$name.check" 2>&1 || {
    cat "$work/$name.check" >&2
    cw_die "causeway --check rejected $cfg"
  }
  "$opt_causeway" --config "$cfg" </dev/null >"$work/$name.log" 2>&1 &
  cw_pid[$name]=$! cw_cfg[$name]=$cfg
  wait_ready "$name" "${cw_pid[$name]}" "$port" "$work/$name.log"
  port_of[$name]=$port
  targets+=("$name")
  cw_log "$name (workers $w) on 127.0.0.1:$port, pid ${cw_pid[$name]}"
done
ntargets=${#targets[@]}

# ---------------------------------------------------------------- runs

# run_sysbench, parse and compilers are in lib.sh; every run here reads only, without
# transactions (--skip_trx=on).
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

ncells=$((${#workloads[@]} * ${#threads_list[@]}))
total_runs=$((ncells * opt_repeat * ntargets))
cw_log "$total_runs runs of ${opt_time}s: about $(((total_runs * (opt_time + 1) + 59) / 60)) min"

raw="$work/raw.tsv"
printf 'workload\tthreads\trep\ttarget\tqps\tp95_ms\terrors\tcompilers\n' >"$raw"
failures=0 run_no=0 cell=0
declare -A qps_runs=() p95_runs=() cell_err=()
for wl in "${workloads[@]}"; do
  for th in "${threads_list[@]}"; do
    for ((rep = 1; rep <= opt_repeat; rep++)); do
      # Rotate the order so no target is always first (or always right after another).
      shift_by=$(((cell + rep - 1) % ntargets))
      order=("${targets[@]:shift_by}" "${targets[@]:0:shift_by}")
      for tg in "${order[@]}"; do
        run_no=$((run_no + 1))
        out="$work/run-$wl-$th-$rep-$tg.out"
        key="$wl|$th|$tg"
        busy=$(compilers)
        ((busy == 0)) || busy_runs=$((busy_runs + 1))
        ((busy <= busy_max)) || busy_max=$busy
        if run_sysbench "$out" "${port_of[$tg]}" "$wl" "$th" "$opt_time" --skip_trx=on && res=$(parse "$out"); then
          read -r q p e <<<"$res"
          qps_runs[$key]+="$q " p95_runs[$key]+="$p "
          printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$th" "$rep" "$tg" "$q" "$p" "$e" "$busy" >>"$raw"
          ((e == 0)) || cw_log "$tg $wl $th threads: $e errors/reconnects (see $out)"
          printf '  [%d/%d] %-18s %3s thr  %-12s %10.0f qps  p95 %6s ms%s\n' \
            "$run_no" "$total_runs" "$wl" "$th" "$tg" "$q" "$p" \
            "$( ((busy == 0)) || echo "  ($busy compiler processes running)")" >&2
        else
          failures=$((failures + 1)) cell_err[$key]=1
          printf '%s\t%s\t%s\t%s\tERR\tERR\t-\t%s\n' "$wl" "$th" "$rep" "$tg" "$busy" >>"$raw"
          cw_log "run failed: $tg $wl $th threads; last lines of $out:"
          tail -n 5 "$out" >&2 || true
          opt_keep=1
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

relays=("${targets[@]:1}")
causeways=("${targets[@]:2}")
table() {
  local hdr="| workload | threads |" sep="|---|---:|" tg wl th c
  for tg in "${targets[@]}"; do hdr+=" QPS $tg |"; sep+="---:|"; done
  for tg in "${targets[@]}"; do hdr+=" p95 ms $tg |"; sep+="---:|"; done
  for tg in "${relays[@]}"; do hdr+=" $tg/direct |"; sep+="---:|"; done
  for c in "${causeways[@]}"; do hdr+=" $c/haproxy |"; sep+="---:|"; done
  echo "$hdr"
  echo "$sep"
  for wl in "${workloads[@]}"; do
    for th in "${threads_list[@]}"; do
      local row="| ${wl#oltp_} | $th |"
      declare -A q=()
      for tg in "${targets[@]}"; do q[$tg]=$(cell_value qps "$wl" "$th" "$tg"); row+=" $(fmt_qps "${q[$tg]}") |"; done
      for tg in "${targets[@]}"; do row+=" $(fmt_ms "$(cell_value p95 "$wl" "$th" "$tg")") |"; done
      for tg in "${relays[@]}"; do row+=" $(ratio "${q[$tg]}" "${q[direct]}") |"; done
      for c in "${causeways[@]}"; do row+=" $(ratio "${q[$c]}" "${q[haproxy]}") |"; done
      echo "$row"
      unset q
    done
  done
}

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$repo_root" status --porcelain --untracked-files=no 2>/dev/null || true)
haproxy_version=$(haproxy -v 2>/dev/null | awk 'NR == 1 { print $1, $2, $3 }')
sysbench_version=$(sysbench --version 2>/dev/null || true)
conditions() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); causeway $commit${dirty:+ + uncommitted changes}, binary $opt_causeway (built $(date -u -r "$opt_causeway" '+%Y-%m-%d %H:%M UTC'))"
  echo "- machine: $(nproc) CPUs, $cpu_model; $(uname -sr)"
  echo "- MariaDB $mariadb_version (sandbox primary, no replicas); $haproxy_version; $sysbench_version"
  echo "- sysbench: ${opt_time}s per run, median of $opt_repeat run(s), --skip_trx=on, --db-ps-mode=$opt_ps_mode, $opt_tables tables x $opt_table_size rows${opt_sysbench_args:+, extra: $opt_sysbench_args}"
  echo "- causeway workers: ${opt_workers}; haproxy nbthread: $opt_haproxy_threads; everything on 127.0.0.1, sharing the same CPUs"
  echo "- load average (1/5/15 min) before: $load_start, after: $load_end (includes the benchmark's own threads)"
  echo "- other builds: $compilers_start compiler/linker processes at start; present at the start of $busy_runs of $total_runs runs (at most $busy_max at once)"
}

report=$(
  conditions
  echo
  table
)
bench_publish "$report"
if ((failures > 0)); then
  cw_log "$failures run(s) failed; outputs kept in $work"
  exit 1
fi
exit 0
