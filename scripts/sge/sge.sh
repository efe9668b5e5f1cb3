#!/usr/bin/env bash
# A single-node Grid Engine for the test suites (Debian's Son of Grid Engine 8.1.9, run as root).
#
#   sge.sh up      install what is missing, fix host names, start sge_qmaster, configure it,
#                  start sge_execd, wait for the queues, run a smoke job, print the facts a test
#                  needs (KEY=VALUE lines, also kept in $JDC_SGE_DIR/env)
#   sge.sh down    delete every job, stop sge_execd and sge_qmaster
#   sge.sh status  daemons, queues and jobs; exit 0 when up, 1 otherwise
#   sge.sh env     print the KEY=VALUE lines again
#
# Settings (environment): JDC_SGE_DIR (state directory, default /tmp/jdc-sge).
# The cell itself is Debian's: SGE_ROOT=/var/lib/gridengine, cell "default", spool under
# /var/spool/gridengine. There is one Grid Engine per machine: `up` adopts a running one.
set -euo pipefail

STATE=${JDC_SGE_DIR:-/tmp/jdc-sge}
export SGE_ROOT=/var/lib/gridengine
export SGE_CELL=default
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine
LIBEXEC=/usr/lib/gridengine
QMASTER_PIDFILE=$SPOOL/qmaster/qmaster.pid
QMASTER_LOG=$SPOOL/qmaster/messages
PACKAGES=(gridengine-master gridengine-exec gridengine-client)
CLIENTS=(qsub qstat qconf qdel qmod qacct)
PE=smp
ALL_HRT=01:00:00
SHORT_HRT=00:05:00
HOST=

die() { echo "sge.sh: error: $*" >&2; exit 1; }
say() { echo "sge.sh: $*" >&2; }

# Poll a command until it succeeds; fail with a message after $1 seconds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.3
  done
}

# A process that exists, is not a zombie (an init that does not reap leaves zombies behind) and,
# when $2 is given, runs that program (pid files stay behind after a stop; pids get reused).
running() {
  [ -e "/proc/$1" ] || return 1
  grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null && return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# The live pids named in pid files (which stay behind after a stop), one per line.
pidfile_pids() {
  local name=$1 f p; shift
  for f in "$@"; do
    [ -f "$f" ] || continue
    p=$(cat "$f" 2>/dev/null) || continue
    [[ "$p" =~ ^[0-9]+$ ]] && running "$p" "$name" && echo "$p"
  done
  return 0
}

# The live pids of a daemon: from its pid files and any other process of that name (a daemon
# started by an init script writes its pid elsewhere), one per line.
daemon_pids() {
  local name=$1 p; shift
  { pidfile_pids "$name" "$@"; pgrep -x "$name" || true; } | sort -u | while read -r p; do
    if running "$p" "$name"; then echo "$p"; fi
  done
}
# execd names its spool directory after the name it resolved for itself, which need not be the
# host's SGE name (here "localhost", while the host is "vm" to every command).
qmaster_pids() { daemon_pids sge_qmaster "$QMASTER_PIDFILE"; }
execd_pids() { daemon_pids sge_execd "$SPOOL"/execd/*/execd.pid; }
qmaster_up() { [ -n "$(qmaster_pids)" ]; }
execd_up() { [ -n "$(execd_pids)" ]; }
# The qmaster answers requests (it takes a few seconds after it daemonised).
qmaster_answers() { qconf -sconf global >/dev/null 2>&1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (the daemons start as root, and jobs run as their submitter)"
}

packages_installed() {
  local p c
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || return 1
  done
  for c in "${CLIENTS[@]}"; do command -v "$c" >/dev/null 2>&1 || return 1; done
  [ -x "$LIBEXEC/sge_qmaster" ] && [ -x "$LIBEXEC/sge_execd" ] && [ -x "$LIBEXEC/gethostbyaddr" ]
}

# The name this host resolves to; adds "127.0.1.1 <hostname>" to /etc/hosts if nothing resolves.
resolve_host() {
  local h name
  h=$(hostname)
  [ -n "$h" ] || die "hostname is empty"
  if ! getent ahostsv4 "$h" >/dev/null 2>&1; then
    say "$h does not resolve: adding '127.0.1.1 $h' to /etc/hosts"
    echo "127.0.1.1 $h" >>/etc/hosts
  fi
  # The first line of getent's answer carries the canonical name in its third field.
  name=$(getent ahostsv4 "$h" | awk 'NR == 1 { print $3 }')
  [ -n "$name" ] || die "could not resolve $h (getent ahostsv4 $h)"
  echo "$name"
}

# invoke-rc.d asks policy-rc.d; 101 means "do not start". During the install the packages'
# postinst would start the daemons before the host names are fixed and the config is written.
POLICY=/usr/sbin/policy-rc.d
POLICY_SAVED=
restore_policy() {
  if [ -n "$POLICY_SAVED" ]; then
    mv -f "$POLICY_SAVED" "$POLICY"
  elif [ -f "$POLICY.jdc-sge" ]; then
    rm -f "$POLICY" "$POLICY.jdc-sge"
  fi
}
forbid_daemon_starts() {
  local rc=0 d
  if [ -x "$POLICY" ] && [ ! -f "$POLICY.jdc-sge" ]; then
    for d in gridengine-master gridengine-exec; do
      rc=0
      "$POLICY" "$d" start >/dev/null 2>&1 || rc=$?
      [ "$rc" -eq 101 ] || break
    done
    [ "$rc" -eq 101 ] && return 0   # the machine's own policy already forbids them
    POLICY_SAVED=$POLICY.jdc-sge-saved
    cp -p "$POLICY" "$POLICY_SAVED"
  fi
  trap restore_policy EXIT
  printf '#!/bin/sh\n# Written by scripts/sge/sge.sh during an apt-get install; removed after it.\nexit 101\n' >"$POLICY"
  chmod 0755 "$POLICY"
  [ -n "$POLICY_SAVED" ] || touch "$POLICY.jdc-sge"
}

install_packages() {
  packages_installed && return 0
  local master=$1
  say "installing Debian packages: ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    say "the apt package lists are empty: apt-get update"
    apt-get update -qq || die "apt-get update failed"
  fi
  # The cell is created by the packages' postinst from these answers.
  debconf-set-selections <<EOF || die "debconf-set-selections failed"
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string $SGE_CELL
gridengine-common shared/gridenginemaster string $master
EOF
  forbid_daemon_starts
  local apt=(apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}")
  if ! "${apt[@]}" >"$STATE/apt.log" 2>&1; then
    # Stale package lists (a 404 on a superseded version) are the usual cause.
    say "apt-get install failed; retrying after apt-get update"
    apt-get update -qq || die "apt-get update failed"
    "${apt[@]}" >"$STATE/apt.log" 2>&1 || die "apt-get install ${PACKAGES[*]} failed; see $STATE/apt.log"
  fi
  restore_policy
  trap - EXIT
  packages_installed || die "Grid Engine commands are still missing after installing ${PACKAGES[*]}; see $STATE/apt.log"
}

# The packages create the cell only when debconf said so; otherwise do what their postinst does.
ensure_cell() {
  [ -f "$COMMON/bootstrap" ] || die "$COMMON/bootstrap is missing: the gridengine-common install did not create the cell"
  if [ ! -e "$SPOOL/spooldb/sge" ]; then
    say "initialising the cell (spool $SPOOL/spooldb)"
    install -d -o sgeadmin -g sgeadmin -m 0755 "$SPOOL/qmaster" "$SPOOL/qmaster/job_scripts" "$SPOOL/spooldb" "$SPOOL/execd"
    su -s /bin/sh -c "/usr/share/gridengine/scripts/init_cluster $SGE_ROOT $SGE_CELL $SPOOL/spooldb sgeadmin" sgeadmin \
      >"$STATE/init_cluster.log" 2>&1 || die "init_cluster failed; see $STATE/init_cluster.log"
  fi
}

# SGE compares the name a client's address resolves to with the host it claims to be. A client
# on this machine connects from 127.0.0.1, which resolves to "localhost": without an alias, the
# qmaster denies every client. Sets NAMES_CHANGED=1 when a file changed.
NAMES_CHANGED=0
fix_host_names() {
  local names n addr aliases=$COMMON/host_aliases act=$COMMON/act_qmaster
  names=$(
    for addr in 127.0.0.1 $(getent ahostsv4 "$HOST" | awk '{ print $1 }' | sort -u); do
      "$LIBEXEC/gethostbyaddr" -name "$addr" 2>/dev/null || true
    done | sort -u
  )
  local line="$HOST"
  for n in $names localhost; do
    [ "$n" = "$HOST" ] || [[ " $line " == *" $n "* ]] || line+=" $n"
  done
  if [ "$line" != "$HOST" ]; then
    if [ ! -f "$aliases" ] || [ "$(cat "$aliases")" != "$line" ]; then
      echo "$line" >"$aliases"
      chmod 0644 "$aliases"
      NAMES_CHANGED=1
    fi
  elif [ -f "$aliases" ]; then
    rm -f "$aliases"
    NAMES_CHANGED=1
  fi
  if [ "$(cat "$act" 2>/dev/null)" != "$HOST" ]; then
    echo "$HOST" >"$act"
    chown sgeadmin:sgeadmin "$act"
    chmod 0644 "$act"
    NAMES_CHANGED=1
  fi
  local seen
  seen=$("$LIBEXEC/gethostbyaddr" -aname 127.0.0.1 2>/dev/null || true)
  [ "$seen" = "$HOST" ] || die "127.0.0.1 resolves to '$seen' for Grid Engine, not '$HOST' (check $aliases and /etc/hosts)"
}

start_qmaster() {
  qmaster_up && return 0
  say "starting sge_qmaster"
  "$LIBEXEC/sge_qmaster" || die "sge_qmaster did not start; see $QMASTER_LOG"
  wait_for 60 "sge_qmaster to answer (see $QMASTER_LOG)" qmaster_answers
}

start_execd() {
  execd_up && return 0
  say "starting sge_execd"
  "$LIBEXEC/sge_execd" || die "sge_execd did not start; see $SPOOL/execd/*/messages"
  wait_for 30 "sge_execd to write its pid file" execd_pidfile_alive
}
execd_pidfile_alive() { [ -n "$(pidfile_pids sge_execd "$SPOOL"/execd/*/execd.pid)" ]; }

# qconf wraps long values: a line ending in a backslash goes on in the next one. Join them.
unwrap() {
  awk '{ line = line $0 }
       sub(/[[:space:]]*\\$/, " ", line) { next }
       { print line; line = "" }
       END { if (line != "") print line }'
}

# Whether every "key value" line of FILE has the same value in TEXT (both whitespace-normalised).
same_keys() {
  awk 'NR == FNR { k = $1; $1 = ""; want[k] = $0; next }
       { k = $1; $1 = ""; have[k] = $0 }
       END { for (k in want) if (!(k in have) || have[k] != want[k]) exit 1 }' "$1" <(printf '%s\n' "$2" | unwrap)
}

# Replace the values of the keys given as KEY=VALUE arguments in a "key value" text on stdin.
set_keys() {
  awk -v pairs="$(printf '%s\n' "$@")" '
    BEGIN { n = split(pairs, p, "\n"); for (i = 1; i <= n; i++) if (p[i] != "") { j = index(p[i], "="); v[substr(p[i], 1, j - 1)] = substr(p[i], j + 1) } }
    /^#/ { next }
    ($1 in v) { printf "%-32s %s\n", $1, v[$1]; seen[$1] = 1; next }
    { print }
    END { for (k in v) if (!(k in seen)) printf "%-32s %s\n", k, v[k] }'
}

# Create or update a configuration object from a file: -A when it is missing, -M when one of the
# file's values differs from what qconf shows, nothing otherwise.
apply_object() {
  local show=$1 add=$2 mod=$3 name=$4 file=$5 current out
  if ! current=$(qconf "$show" "$name" 2>/dev/null); then
    say "adding $name (qconf $add)"
    out=$(qconf "$add" "$file" 2>&1) || die "qconf $add $file failed: $out"
    return 0
  fi
  if same_keys "$file" "$current"; then return 0; fi
  say "updating $name (qconf $mod)"
  out=$(qconf "$mod" "$file" 2>&1) || die "qconf $mod $file failed: $out"
}

# Sets GLOBAL_CHANGED=1 when the global configuration changed (a running execd must then be
# restarted).
GLOBAL_CHANGED=0
configure() {
  local conf=$STATE/conf current out slots
  slots=$(nproc)
  mkdir -p "$conf"
  qconf -sh 2>/dev/null | grep -qx "$HOST" || { out=$(qconf -ah "$HOST" 2>&1) || die "qconf -ah $HOST failed: $out"; }
  qconf -ss 2>/dev/null | grep -qx "$HOST" || { out=$(qconf -as "$HOST" 2>&1) || die "qconf -as $HOST failed: $out"; }

  # Global configuration. Root may submit (min_uid/min_gid default to 1000), load reports every
  # 5 s, and accounting written at once (qacct otherwise lags 15 s). -Mconf wants a file named
  # after the configuration, and the whole of it.
  current=$(qconf -sconf global | unwrap) || die "qconf -sconf global failed"
  local reporting
  reporting=$(printf '%s\n' "$current" | awk '$1 == "reporting_params" { $1 = ""; sub(/^ /, ""); print }')
  reporting=$(printf '%s\n' "$reporting" | tr ' ' '\n' | grep -v '^accounting_flush_time=' | grep -v '^$' | tr '\n' ' ')
  reporting="${reporting}accounting_flush_time=00:00:00"
  # login_shells without sh and bash: a job's shell does not read root's login files, whose
  # `pyenv init` would make every job wait on a lock that a job killed mid-rehash leaves behind.
  printf '%s\n' "min_uid 0" "min_gid 0" "load_report_time 00:00:05" "reporting_params $reporting" \
    "login_shells csh,tcsh" >"$conf/global.want"
  if ! same_keys "$conf/global.want" "$current"; then
    printf '%s\n' "$current" | set_keys "min_uid=0" "min_gid=0" "load_report_time=00:00:05" \
      "reporting_params=$reporting" "login_shells=csh,tcsh" >"$conf/global"
    say "updating the global configuration (qconf -Mconf)"
    out=$(qconf -Mconf "$conf/global" 2>&1) || die "qconf -Mconf $conf/global failed: $out"
    GLOBAL_CHANGED=1
  fi

  # Scheduler: a pass every second and right after submits and job ends (the default 15 s
  # interval makes every test wait), no load adjustments, reasons in `qstat -j`.
  current=$(qconf -ssconf | unwrap) || die "qconf -ssconf failed"
  printf '%s\n' "schedule_interval 0:0:1" "flush_submit_sec 1" "flush_finish_sec 1" \
    "job_load_adjustments NONE" "schedd_job_info true" >"$conf/sched.want"
  if ! same_keys "$conf/sched.want" "$current"; then
    printf '%s\n' "$current" | set_keys "schedule_interval=0:0:1" "flush_submit_sec=1" "flush_finish_sec=1" \
      "job_load_adjustments=NONE" "schedd_job_info=true" >"$conf/sched"
    say "updating the scheduler configuration (qconf -Msconf)"
    out=$(qconf -Msconf "$conf/sched" 2>&1) || die "qconf -Msconf $conf/sched failed: $out"
  fi

  cat >"$conf/exechost" <<EOF
hostname              $HOST
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
  apply_object -se -Ae -Me "$HOST" "$conf/exechost"

  cat >"$conf/pe" <<EOF
pe_name            $PE
slots              $slots
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    \$pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
  apply_object -sp -Ap -Mp "$PE" "$conf/pe"

  write_queue all.q "$ALL_HRT" "$slots" >"$conf/all.q"
  write_queue short.q "$SHORT_HRT" "$slots" >"$conf/short.q"
  apply_object -sq -Aq -Mq all.q "$conf/all.q"
  apply_object -sq -Aq -Mq short.q "$conf/short.q"
}

# A whole queue definition (what `qconf -sq` prints for a new queue, with our values).
# load_thresholds NONE: a busy 2-core machine would otherwise put the queue in alarm state.
write_queue() {
  cat <<EOF
qname                 $1
hostlist              $HOST
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               $PE
rerun                 FALSE
slots                 $3
tmpdir                /tmp
shell                 /bin/bash
prolog                NONE
epilog                NONE
shell_start_mode      posix_compliant
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
s_rt                  INFINITY
h_rt                  $2
s_cpu                 INFINITY
h_cpu                 INFINITY
s_fsize               INFINITY
h_fsize               INFINITY
s_data                INFINITY
h_data                INFINITY
s_stack               INFINITY
h_stack               INFINITY
s_core                INFINITY
h_core                INFINITY
s_rss                 INFINITY
h_rss                 INFINITY
s_vmem                INFINITY
h_vmem                INFINITY
EOF
}

# The state column of each queue instance in `qstat -f` ("-" when it has none).
queue_states() {
  qstat -f -q all.q,short.q 2>/dev/null | awk '/^(all|short)\.q@/ { print $1, (NF >= 6 ? $6 : "-") }'
}

# Ready: both queue instances listed and in no state (not a/u/E/d/...). An error state (E) is
# cleared and a disabled queue enabled on the way.
queues_ready() {
  local states
  states=$(queue_states)
  [ "$(printf '%s\n' "$states" | grep -c .)" -eq 2 ] || return 1
  if printf '%s\n' "$states" | awk '{ print $2 }' | grep -q E; then
    qmod -cq all.q short.q >/dev/null 2>&1 || true
  fi
  if printf '%s\n' "$states" | awk '{ print $2 }' | grep -q d; then
    qmod -e all.q short.q >/dev/null 2>&1 || true
  fi
  ! printf '%s\n' "$states" | awk '{ print $2 }' | grep -qv '^-$'
}

wait_queues() {
  local deadline=$((SECONDS + $1))
  until queues_ready; do
    [ "$SECONDS" -lt "$deadline" ] \
      || die "the queues are not ready after ${1}s (want all.q@$HOST and short.q@$HOST without states; qstat -f says: $(queue_states | tr '\n' ' '))"
    sleep 0.3
  done
}

smoke_job() {
  local out
  # -sync y waits for the job and exits with its exit status.
  out=$(cd / && timeout 60 qsub -sync y -b y -q all.q -N jdc-smoke -o /dev/null -j y /bin/true 2>&1) \
    || die "the smoke job failed: $out (see $QMASTER_LOG, $SPOOL/execd/*/messages and qstat -j)"
}

write_env() {
  local ports=""
  if ! getent services sge_qmaster >/dev/null 2>&1; then
    ports=$'\n'"SGE_QMASTER_PORT=$SGE_QMASTER_PORT"$'\n'"SGE_EXECD_PORT=$SGE_EXECD_PORT"
  fi
  cat >"$STATE/env" <<EOF
SGE_ROOT=$SGE_ROOT
SGE_CELL=$SGE_CELL${ports}
JDC_SGE_DIR=$STATE
JDC_SGE_HOST=$HOST
JDC_SGE_BIN=$(dirname "$(command -v qsub)")
JDC_SGE_SLOTS=$(nproc)
JDC_SGE_QUEUES=all.q,short.q
JDC_SGE_DEFAULT_QUEUE=all.q
JDC_SGE_ALL_HRT=$ALL_HRT
JDC_SGE_SHORT_HRT=$SHORT_HRT
JDC_SGE_PE=$PE
EOF
}

# Clients and daemons find their ports in /etc/services (netbase has sge_qmaster/sge_execd);
# without those entries they need the variables.
set_ports() {
  getent services sge_qmaster >/dev/null 2>&1 || export SGE_QMASTER_PORT=${SGE_QMASTER_PORT:-6444}
  getent services sge_execd >/dev/null 2>&1 || export SGE_EXECD_PORT=${SGE_EXECD_PORT:-6445}
}

lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  flock -w 300 9 || die "another sge.sh holds $STATE/lock"
}

cmd_up() {
  require_root
  lock
  set_ports
  HOST=$(resolve_host)
  install_packages "$HOST"
  ensure_cell
  # From here on, Grid Engine's own idea of this host's name is the one that counts.
  HOST=$("$LIBEXEC/gethostname" -aname 2>/dev/null) || die "$LIBEXEC/gethostname -aname failed"
  [ -n "$HOST" ] || die "$LIBEXEC/gethostname -aname printed nothing"
  fix_host_names
  if [ "$NAMES_CHANGED" = 1 ] && qmaster_up; then
    say "host names changed: restarting Grid Engine"
    stop_all
  fi
  start_qmaster
  configure
  if [ "$GLOBAL_CHANGED" = 1 ] && execd_up; then
    # execd caches the global configuration; a change it has not seen puts the queues in E.
    say "global configuration changed: restarting sge_execd"
    stop_execd
  fi
  start_execd
  wait_queues 60
  smoke_job
  write_env
  cat "$STATE/env"
  echo "Grid Engine ready"
}

# Wait for pids to end; SIGKILL what is left after $1 seconds.
wait_gone() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds)) p left
  while :; do
    left=()
    for p in "$@"; do running "$p" && left+=("$p"); done
    [ ${#left[@]} -gt 0 ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.3
  done
  say "$what (pid ${left[*]}) still running after ${seconds}s; killing it"
  kill -9 "${left[@]}" 2>/dev/null || true
}

# Stop execd (and, with -j, the jobs it runs).
stop_execd() {
  local flag=${1:--ke} pids
  pids=$(execd_pids)
  [ -n "$pids" ] || return 0
  if qmaster_up; then
    qconf "$flag" "$HOST" >/dev/null 2>&1 || true
  else
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
  fi
  # shellcheck disable=SC2086
  wait_gone 20 sge_execd $pids
}

stop_all() {
  if qmaster_up && qmaster_answers; then
    if [ -n "$(qstat -u '*' 2>/dev/null)" ]; then
      say "deleting every job"
      qdel -f -u '*' >/dev/null 2>&1 || true
    fi
  fi
  stop_execd -kej
  local pids
  pids=$(qmaster_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    qconf -km >/dev/null 2>&1 || kill $pids 2>/dev/null || true
    # shellcheck disable=SC2086
    wait_gone 30 sge_qmaster $pids
  fi
}

# The shepherds of this execd (their working directory is in its spool) and every process below
# them, so no job outlives `down`.
our_shepherds() {
  local p roots=()
  for p in $(pgrep -x sge_shepherd || true); do
    case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in
      "$SPOOL/execd"/*) roots+=("$p") ;;
    esac
  done
  [ ${#roots[@]} -gt 0 ] || return 0
  ps -e -o pid=,ppid= | awk -v roots="${roots[*]}" '
    { parent[$1] = $2 }
    END {
      n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1
      do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
      for (p in keep) print p
    }'
}

cmd_down() {
  require_root
  lock
  set_ports
  if [ ! -x "$LIBEXEC/gethostname" ]; then
    echo "Grid Engine is not installed: nothing to stop"
    return 0
  fi
  HOST=$("$LIBEXEC/gethostname" -aname 2>/dev/null || hostname)
  stop_all
  local left
  left=$(our_shepherds)
  if [ -n "$left" ]; then
    say "stopping leftover jobs: ${left//$'\n'/ }"
    # shellcheck disable=SC2086
    kill $left 2>/dev/null || true
    sleep 2
    left=$(our_shepherds)
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -9 $left 2>/dev/null || true
  fi
  echo "Grid Engine stopped"
}

cmd_status() {
  local ok=0 pids
  set_ports
  if [ ! -x "$LIBEXEC/gethostname" ]; then
    echo "Grid Engine is not installed"
    return 1
  fi
  HOST=$("$LIBEXEC/gethostname" -aname 2>/dev/null || hostname)
  pids=$(qmaster_pids)
  if [ -n "$pids" ]; then echo "sge_qmaster: running (pid ${pids//$'\n'/ })"; else echo "sge_qmaster: stopped"; ok=1; fi
  pids=$(execd_pids)
  if [ -n "$pids" ]; then echo "sge_execd: running (pid ${pids//$'\n'/ })"; else echo "sge_execd: stopped"; ok=1; fi
  if [ "$ok" -eq 0 ]; then
    qstat -f || ok=1
    qstat -u '*' || ok=1
  fi
  return "$ok"
}

cmd_env() {
  [ -f "$STATE/env" ] || die "no $STATE/env: run 'sge.sh up' first"
  cat "$STATE/env"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
