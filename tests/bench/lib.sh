# tests/bench/lib.sh — helpers shared by tests/bench/run.sh and tests/bench/split.sh.
# shellcheck shell=bash disable=SC2154,SC2034 # the globals below belong to the sourcing script
#
# Source it after deploy/lib.sh; it only defines functions. They work on the caller's
# globals, which every script using them sets:
#   opt_base_port        sandbox primary port; free_port hands out P+10 .. P+90
#   next_port, port      free_port's cursor and result
#   repo_root, work      the repository and the script's work directory
#   sandbox_dir          deploy/sandbox.sh --dir; sandbox_started is set to 1 by sandbox_up
#   sb_common            sysbench arguments for every run (driver, account, tables)
#   opt_tables           sbtest tables (prepare uses one thread per table)
#   opt_ps_mode          sysbench --db-ps-mode
#   opt_sysbench_args    extra sysbench arguments (a word list)
#   sysbench_pid         the running sysbench (for the EXIT trap), empty otherwise

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_pos() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }

# ---------------------------------------------------------------- ports

# free_port: sets port to the next port from next_port that nothing listens on. (Not a
# command substitution: next_port must advance in this shell.)
free_port() {
  local limit=$((opt_base_port + 90))
  while cw_port_in_use "$next_port"; do
    next_port=$((next_port + 1))
    ((next_port <= limit)) || cw_die "no free port in $((opt_base_port + 10))..$limit"
  done
  port=$next_port
  next_port=$((next_port + 1))
}

# ---------------------------------------------------------------- sandbox and data

# sandbox_up REPLICAS: deploy/sandbox.sh up in sandbox_dir (log in work/sandbox.log).
sandbox_up() {
  sandbox_started=1
  if ! "$repo_root/deploy/sandbox.sh" up --replicas "$1" --base-port "$opt_base_port" \
    --dir "$sandbox_dir" >"$work/sandbox.log" 2>&1; then
    tail -n 30 "$work/sandbox.log" >&2
    cw_die "sandbox up failed"
  fi
}

# prepare_sbtest PORT: sysbench prepare through PORT (the primary).
prepare_sbtest() {
  if ! timeout 600 sysbench oltp_read_only "${sb_common[@]}" --mysql-port="$1" \
    --threads="$opt_tables" prepare >"$work/prepare.log" 2>&1; then
    tail -n 20 "$work/prepare.log" >&2
    cw_die "sysbench prepare failed"
  fi
}

# wait_ready NAME PID PORT LOG: until app can run a query through PORT; fail early if PID died.
wait_ready() {
  local name=$1 pid=$2 port=$3 log=$4 deadline=$((SECONDS + 30))
  until mariadb -h127.0.0.1 -P"$port" -uapp -papp --connect-timeout=2 -N -B -e "SELECT 1" sbtest \
    >/dev/null 2>&1; do
    if ! cw_pid_alive "$pid"; then
      tail -n 20 "$log" >&2
      cw_die "$name exited during startup; see $log"
    fi
    ((SECONDS < deadline)) || {
      tail -n 20 "$log" >&2
      cw_die "$name did not relay a query on port $port within 30s"
    }
    sleep 0.2
  done
}

# ---------------------------------------------------------------- runs

# run_sysbench OUTFILE PORT WORKLOAD THREADS SECONDS [SYSBENCH_ARG...]
# The extra arguments go before --db-ps-mode and opt_sysbench_args.
# In the background and waited for, so that Ctrl-C / SIGTERM reach the trap at once (a
# foreground child would have to finish first; timeout puts it in its own process group).
run_sysbench() {
  local out=$1 port=$2 wl=$3 th=$4 secs=$5 rc=0
  shift 5
  # shellcheck disable=SC2086 # opt_sysbench_args is a word list on purpose
  timeout -k 5 $((secs + 60)) sysbench "$wl" "${sb_common[@]}" --mysql-port="$port" \
    --threads="$th" --time="$secs" --events=0 --report-interval=0 --percentile=95 \
    "$@" --db-ps-mode="$opt_ps_mode" $opt_sysbench_args run >"$out" 2>&1 &
  sysbench_pid=$!
  wait "$sysbench_pid" || rc=$?
  sysbench_pid=""
  return "$rc"
}

# parse OUTFILE: prints "QPS P95 ERRORS"; fails if the output has no result.
parse() {
  awk '
    /^ *queries:/         { q = $3; gsub(/[(]/, "", q) }
    /95th percentile:/    { p = $3 }
    /ignored errors:/     { e += $3 }
    /reconnects:/         { e += $2 }
    /FATAL/               { fatal = 1 }
    END { if (q == "" || p == "" || fatal) exit 1; printf "%s %s %d\n", q, p, e }
  ' "$1"
}

# Other people's builds are the usual noise on a shared machine: count compiler and
# linker processes before every run (the load average also counts sysbench's own threads).
compilers() {
  # shellcheck disable=SC2009 # pgrep refuses patterns longer than 15 characters
  ps -eo comm= | grep -c -E '^(cc1plus|cc1|ld|ld\.gold|lld|clang.*)$' || true
}

# ---------------------------------------------------------------- report

median() { # NUMBERS...
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit 1
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "ERR" || b == "ERR" || b == 0) print "-"; else printf "%.2f", a / b }'; }
fmt_qps() { [[ "$1" == ERR ]] && echo ERR || printf '%.0f' "$1"; }
fmt_ms() { [[ "$1" == ERR ]] && echo ERR || printf '%.2f' "$1"; }

# bench_snapshot FILE CATCHUP_SECONDS: every server's SHOW GLOBAL STATUS counters into FILE as
# "server counter value" lines plus "server .time T"; each replica is read once it has
# applied the primary's GTID position (waiting up to CATCHUP_SECONDS). The caller defines
# nservers, server_ports, server_names, status_sql and root_sql.
bench_snapshot() {
  local file=$1 catchup=$2 i pos="" out
  : >"$file"
  for ((i = 0; i < nservers; i++)); do
    if ((i == 0)); then
      out=$(root_sql "${server_ports[0]}" "SELECT @@gtid_binlog_pos; $status_sql") ||
        cw_die "cannot read the status of ${server_names[0]}"
      pos=$(head -n 1 <<<"$out")
    else
      out=$(root_sql "${server_ports[i]}" "SELECT MASTER_GTID_WAIT('$pos', $catchup); $status_sql") ||
        cw_die "cannot read the status of ${server_names[i]}"
      [[ "$(head -n 1 <<<"$out")" == 0 ]] ||
        cw_log "warning: ${server_names[i]} did not reach the primary's GTID $pos within ${catchup}s"
    fi
    tail -n +2 <<<"$out" | awk -v s="${server_names[i]}" '{ print s, $1, $2 }' >>"$file"
    printf '%s .time %s\n' "${server_names[i]}" "$(date +%s.%N)" >>"$file"
  done
}

# bench_deltas BEFORE AFTER [OWN [BG]]: "server counter delta" lines: AFTER - BEFORE, less OWN's
# delta (the snapshot's own statements) and BG's rate times the server's elapsed seconds
# (its ".time" delta; a replica's includes waiting for replication to catch up).
bench_deltas() {
  awk -v before="$1" -v after="$2" -v own="${3:-}" -v bg="${4:-}" '
    function load(f, arr,   line, w) {
      while ((getline line < f) > 0) { split(line, w, " "); arr[w[1] "|" w[2]] = w[3] }
      close(f)
    }
    BEGIN {
      load(before, b); load(after, a)
      if (own != "") load(own, o)
      if (bg != "") load(bg, r)
      for (k in a) {
        split(k, w, "|")
        elapsed = a[w[1] "|.time"] - b[w[1] "|.time"]
        if (w[2] == ".time") { print w[1], w[2], elapsed; continue }
        d = a[k] - b[k] - ((k in o) ? o[k] : 0) - ((k in r) ? r[k] * elapsed : 0)
        print w[1], w[2], d
      }
    }'
}

# ---------------------------------------------------------------- end of a run
# What every bench script's EXIT trap (its `cleanup`) ends with, after stopping its own
# processes: the sandbox down, the work directory removed (kept with --keep and after a
# failure, not after Ctrl-C / SIGTERM), exit with RC. Reads sandbox_started, sandbox_dir,
# work and opt_keep.
bench_end() { # RC
  local rc=$1
  if ((sandbox_started)) || [[ -e "$sandbox_dir" ]]; then
    "$repo_root/deploy/sandbox.sh" down --dir "$sandbox_dir" >>"$work/sandbox.log" 2>&1 ||
      cw_log "sandbox down failed; see $work/sandbox.log"
  fi
  if ((opt_keep || (rc != 0 && rc != 130 && rc != 143))); then
    cw_log "work directory kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}

# Runs the script's `cleanup` on exit; Ctrl-C and SIGTERM exit with 130 and 143.
bench_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Prints the report, and writes it (--out) and the single runs (--raw) where asked. Reads
# opt_out, opt_raw and raw.
bench_publish() { # REPORT
  echo
  echo "$1"
  if [[ -n "$opt_out" ]]; then
    printf '%s\n' "$1" >"$opt_out"
    cw_log "results written to $opt_out"
  fi
  if [[ -n "$opt_raw" ]]; then
    cp "$raw" "$opt_raw"
    cw_log "single runs written to $opt_raw"
  fi
}

# calibrate_own: the script's own statements per snapshot (the smallest delta of three
# back-to-back snapshots, counter by counter), before causeway runs. Uses the script's
# `snapshot FILE` and `deltas A B`; writes $work/own.
calibrate_own() {
  snapshot "$work/cal0"
  snapshot "$work/cal1"
  snapshot "$work/cal2"
  deltas "$work/cal0" "$work/cal1" >"$work/own.a"
  deltas "$work/cal1" "$work/cal2" >"$work/own.b"
  awk '$2 != ".time" { k = $1 " " $2; if (!(k in m) || $3 < m[k]) m[k] = $3 }
       END { for (k in m) print k, m[k] }' "$work/own.a" "$work/own.b" >"$work/own"
}
