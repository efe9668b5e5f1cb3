#!/usr/bin/env bash
# A single-node SLURM cluster for the test suites (Debian's slurm-wlm + munge, run as root).
#
#   slurm.sh up      install what is missing, start munge, slurmctld and slurmd, wait for an
#                    idle node, run a smoke job, print the facts a test needs (KEY=VALUE lines)
#   slurm.sh down    cancel every job, stop the daemons this script started
#   slurm.sh status  daemons, node and queue; exit 0 when up, 1 otherwise
#   slurm.sh env     print the KEY=VALUE lines again (also kept in $JDC_SLURM_DIR/env)
#
# Settings (environment): JDC_SLURM_DIR (state directory, default /tmp/jdc-slurm),
# JDC_SLURM_MEMORY_MB (RealMemory; capped at what `slurmd -C` reports),
# JDC_SLURM_LINK_ETC=0 (do not point /etc/slurm/slurm.conf at the generated file).
set -euo pipefail

STATE=${JDC_SLURM_DIR:-/tmp/jdc-slurm}
CONF=$STATE/slurm.conf
NODE=localhost
SHORT_MAXTIME=00:05:00
ETC_CONF=/etc/slurm/slurm.conf
export SLURM_CONF=$CONF

die() { echo "slurm.sh: error: $*" >&2; exit 1; }
say() { echo "slurm.sh: $*" >&2; }

# Poll a command until it succeeds; fail with a message after $1 seconds.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.5
  done
}

# A process that exists and is not a zombie (an init that does not reap leaves zombies behind).
running() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pid_alive() { [ -f "$1" ] && running "$(cat "$1")"; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (slurmd runs jobs as root and munge needs its own user)"
}

install_packages() {
  local need=()
  command -v slurmctld >/dev/null 2>&1 || need+=(slurmctld)
  command -v slurmd >/dev/null 2>&1 || need+=(slurmd)
  command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
  command -v munged >/dev/null 2>&1 || need+=(munge)
  [ ${#need[@]} -eq 0 ] && return 0
  # slurm-wlm is the metapackage of these; the daemons and the client are all we use.
  say "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
    || die "apt-get install slurm-wlm munge failed"
  for c in slurmctld slurmd sbatch squeue sinfo scontrol scancel munged munge unmunge; do
    command -v "$c" >/dev/null 2>&1 || die "$c is still missing after installing slurm-wlm and munge"
  done
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_works; then return 0; fi
  [ -f /etc/munge/munge.key ] || die "/etc/munge/munge.key is missing (the munge package creates it; try: mungekey --create)"
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  say "starting munged as user munge"
  su -s /bin/sh munge -c /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
  touch "$STATE/munge.started-here"
  wait_for 10 "munge to answer" munge_works
}

# RealMemory: what the caller asks for, but never more than slurmd -C reports.
node_memory_mb() {
  local hw
  hw=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -n1)
  [[ "$hw" =~ ^[0-9]+$ ]] || die "could not read RealMemory from 'slurmd -C'"
  local want=${JDC_SLURM_MEMORY_MB:-$hw}
  [[ "$want" =~ ^[0-9]+$ ]] || die "JDC_SLURM_MEMORY_MB must be a number of MB"
  [ "$want" -le "$hw" ] || want=$hw
  echo "$want"
}

write_conf() {
  local cpus mem
  cpus=$(nproc)
  mem=$(node_memory_mb)
  cat >"$CONF.new" <<EOF
# Written by scripts/slurm/slurm.sh: a single node that is both controller and compute node.
ClusterName=jdctest
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# No cgroup plugins: they do not work inside containers.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
# Trust this file over the detected hardware, so a container's odd topology cannot drain the node.
SlurmdParameters=config_overrides
NodeName=$NODE CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=short Nodes=ALL MaxTime=$SHORT_MAXTIME State=UP
EOF
  if [ -f "$CONF" ] && cmp -s "$CONF" "$CONF.new"; then
    rm -f "$CONF.new"
    return 1   # unchanged
  fi
  mv "$CONF.new" "$CONF"
  return 0
}

# Let plain `sinfo`/`sbatch` (without SLURM_CONF) find the generated file, unless /etc already
# holds a real configuration.
link_etc() {
  [ "${JDC_SLURM_LINK_ETC:-1}" = 1 ] || return 0
  if [ -L "$ETC_CONF" ] || [ ! -e "$ETC_CONF" ]; then
    mkdir -p "$(dirname "$ETC_CONF")"
    ln -sfn "$CONF" "$ETC_CONF"
  else
    say "leaving $ETC_CONF alone (not ours); commands need SLURM_CONF=$CONF"
  fi
}

ctld_answers() { scontrol ping 2>/dev/null | grep -q ' is UP'; }

daemons_up() { pid_alive "$STATE/slurmctld.pid" && pid_alive "$STATE/slurmd.pid"; }

node_state() { sinfo -h -n "$NODE" -o %t 2>/dev/null | head -n1; }

node_idle() {
  local s
  s=$(node_state)
  case "$s" in
    idle) return 0 ;;
    down*|drain*|drng*|fail*)
      scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  return 1
}

start_daemons() {
  # Refuse to fight over ports with a SLURM this script did not start.
  local d p
  for d in slurmctld slurmd; do
    pid_alive "$STATE/$d.pid" && continue
    for p in $(pgrep -x "$d" || true); do
      running "$p" && die "a $d not started from $STATE is running (pid $p); stop it first"
    done
  done
  mkdir -p "$STATE/state" "$STATE/spool"
  # -c: start from a clean state, so jobs of an earlier run are not recovered.
  pid_alive "$STATE/slurmctld.pid" || slurmctld -c -f "$CONF" \
    || die "slurmctld did not start; see $STATE/slurmctld.log"
  wait_for 30 "slurmctld to answer (see $STATE/slurmctld.log)" ctld_answers
  pid_alive "$STATE/slurmd.pid" || slurmd -c -f "$CONF" -N "$NODE" \
    || die "slurmd did not start; see $STATE/slurmd.log"
  wait_for 30 "slurmd to write its pid file" pid_alive "$STATE/slurmd.pid"
}

smoke_job() {
  local id state
  # shellcheck disable=SC2016  # $(hostname) is for the job's shell
  id=$(sbatch --parsable -p debug -t 1 --mem=64M -o "$STATE/smoke-%j.out" -J jdc-smoke \
         --wrap 'echo "smoke on $(hostname)"') || die "sbatch of the smoke job failed"
  id=${id%%;*}
  local deadline=$((SECONDS + 60))
  while :; do
    # -t all keeps finished jobs visible for MinJobAge (300 s); no accounting needed.
    state=$(squeue -h -t all -j "$id" -o %T 2>/dev/null || true)
    case "$state" in
      COMPLETED) break ;;
      FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)
        die "smoke job $id ended $state; see $STATE/slurmd.log and $STATE/smoke-$id.out" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || die "smoke job $id still '$state' after 60s; see $STATE/slurmctld.log"
    sleep 0.5
  done
  grep -q '^smoke on' "$STATE/smoke-$id.out" 2>/dev/null || die "smoke job $id wrote no output"
  rm -f "$STATE/smoke-$id.out"
}

write_env() {
  local mem cpus
  cpus=$(sed -n 's/^NodeName=.* CPUs=\([0-9]*\).*/\1/p' "$CONF")
  mem=$(sed -n 's/^NodeName=.* RealMemory=\([0-9]*\).*/\1/p' "$CONF")
  cat >"$STATE/env" <<EOF
SLURM_CONF=$CONF
JDC_SLURM_DIR=$STATE
JDC_SLURM_NODE=$NODE
JDC_SLURM_CPUS=$cpus
JDC_SLURM_MEMORY_MB=$mem
JDC_SLURM_PARTITIONS=debug,short
JDC_SLURM_DEFAULT_PARTITION=debug
JDC_SLURM_SHORT_MAXTIME=$SHORT_MAXTIME
EOF
}

cmd_up() {
  require_root
  install_packages
  mkdir -p "$STATE"
  start_munge
  if write_conf && daemons_up; then
    say "configuration changed: restarting the daemons"
    stop_daemons
  fi
  link_etc
  daemons_up || start_daemons
  # A busy 2-core machine may keep the node "not responding" (idle*) for a while after a heavy run.
  wait_for 180 "node $NODE to be idle (see $STATE/slurmd.log and sinfo)" node_idle
  smoke_job
  write_env
  cat "$STATE/env"
  echo "SLURM ready"
}

# Cancel every job, wait for the queue to drain, then stop slurmd and slurmctld.
stop_daemons() {
  if pid_alive "$STATE/slurmctld.pid"; then
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      say "cancelling jobs: ${jobs//$'\n'/ }"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      local deadline=$((SECONDS + 30))
      while [ -n "$(squeue -h -o %A 2>/dev/null || true)" ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.5
      done
    fi
  fi
  local d pid
  for d in slurmd slurmctld; do
    pid_alive "$STATE/$d.pid" || { rm -f "$STATE/$d.pid"; continue; }
    pid=$(cat "$STATE/$d.pid")
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while running "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if running "$pid"; then
      say "$d (pid $pid) ignored SIGTERM; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/$d.pid"
  done
}

# The slurmstepd of this node run in the state directory; list them with every process below
# them (the job scripts and what they started), so nothing is orphaned when they go.
our_steps() {
  local p steps=()
  for p in $(pgrep -x slurmstepd || true); do
    case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in
      "$STATE"|"$STATE"/*) steps+=("$p") ;;
    esac
  done
  [ ${#steps[@]} -gt 0 ] || return 0
  ps -e -o pid=,ppid= | awk -v roots="${steps[*]}" '
    { parent[$1] = $2 }
    END {
      n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1
      do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
      for (p in keep) print p
    }'
}

cmd_down() {
  require_root
  stop_daemons
  # Job steps outlive slurmd when the controller could not cancel them. The slurmstepd of
  # this node run in the state directory: stop those, and only those.
  local left
  left=$(our_steps)
  if [ -n "$left" ]; then
    say "stopping leftover job steps: ${left//$'\n'/ }"
    # shellcheck disable=SC2086
    kill $left 2>/dev/null || true
    sleep 2
    left=$(our_steps)
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -9 $left 2>/dev/null || true
  fi
  if [ -f "$STATE/munge.started-here" ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    rm -f "$STATE/munge.started-here"
  fi
  echo "SLURM stopped"
}

cmd_status() {
  local ok=0
  for d in slurmctld slurmd; do
    if pid_alive "$STATE/$d.pid"; then
      echo "$d: running (pid $(cat "$STATE/$d.pid"))"
    else
      echo "$d: stopped"; ok=1
    fi
  done
  if munge_works; then echo "munge: running"; else echo "munge: not answering"; ok=1; fi
  if [ "$ok" -eq 0 ]; then
    sinfo -o '%P %a %l %D %t %N' || ok=1
    squeue || ok=1
  fi
  return "$ok"
}

cmd_env() {
  [ -f "$STATE/env" ] || die "no $STATE/env: run 'slurm.sh up' first"
  cat "$STATE/env"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
