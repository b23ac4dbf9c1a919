#!/usr/bin/env bash
# local-cluster.sh: a real one-node Slurm cluster (munged + slurmctld + slurmd) on this machine,
# for qecpipe's tests and demos. Not for production: one node, root as SlurmUser, no accounting.
#
#   sudo slurm/local-cluster.sh start    # install missing Debian packages, write slurm.conf,
#                                        # start the daemons, wait until the node is idle
#   sudo slurm/local-cluster.sh status   # daemons, node state, queue; exit 0 only if usable
#   sudo slurm/local-cluster.sh stop     # stop the daemons this script started (by PID file)
#
# Needs root (it installs packages and starts daemons). All state lives under $STATE_DIR
# (default /var/lib/qecpipe-slurm; set QECPIPE_SLURM_STATE to move it): slurm.conf, spool
# directories, PID files and logs. Client commands need the config: this script also installs
# it as /etc/slurm/slurm.conf when that file is absent or was written by this script;
# otherwise export SLURM_CONF=$STATE_DIR/slurm.conf (printed by `start`).
#
# start is idempotent (already running: reports and returns 0). A munged that was already
# running (not started here) is reused and never stopped. Daemons are stopped only through the
# PIDs this script recorded, and only if that PID still runs the expected program.
set -u

STATE_DIR=${QECPIPE_SLURM_STATE:-/var/lib/qecpipe-slurm}
CONF=$STATE_DIR/slurm.conf
RUN_DIR=$STATE_DIR/run
LOG_DIR=$STATE_DIR/log
MARK="# written by qecpipe slurm/local-cluster.sh"
export SLURM_CONF=$CONF
CONF_CHANGED=0

say() { echo "local-cluster: $*"; }
die() { echo "local-cluster: error: $*" >&2; exit 1; }

# pid_alive PIDFILE NAME: the PID in PIDFILE runs a program called NAME.
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(tr -dc '0-9' < "$1")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# stop_pid PIDFILE NAME: TERM, wait up to 15 s, then KILL; removes PIDFILE.
stop_pid() {
  local pid i
  if pid_alive "$1" "$2"; then
    pid=$(tr -dc '0-9' < "$1")
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 150); do
      pid_alive "$1" "$2" || break
      sleep 0.1
    done
    if pid_alive "$1" "$2"; then
      say "$2 (pid $pid) ignored SIGTERM for ${i}0 ms; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null
      sleep 0.2
    fi
    say "stopped $2 (pid $pid)"
  fi
  rm -f "$1"
}

install_packages() {
  local missing=""
  command -v slurmctld >/dev/null || missing="$missing slurmctld"
  command -v slurmd >/dev/null || missing="$missing slurmd"
  command -v sbatch >/dev/null || missing="$missing slurm-client"
  command -v munged >/dev/null || missing="$missing munge"
  [ -z "$missing" ] && return 0
  command -v apt-get >/dev/null || die "missing$missing and no apt-get to install them"
  say "installing$missing (Debian packages)"
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
       > "$STATE_DIR/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update >> "$STATE_DIR/apt.log" 2>&1
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
      >> "$STATE_DIR/apt.log" 2>&1 || { tail -20 "$STATE_DIR/apt.log" >&2; die "apt-get install failed"; }
  fi
}

write_conf() {
  local host node mem_mb topo
  host=$(hostname -s)
  # Topology as slurmd itself sees it (a mismatch would drain the node); fall back to nproc.
  topo=$(slurmd -C 2>/dev/null | head -1 | grep -o 'CPUs=.*ThreadsPerCore=[0-9]*')
  [ -n "$topo" ] || topo="CPUs=$(nproc)"
  # Announce 90% of the memory so a re-measurement never reports less than configured.
  mem_mb=$(free -m | awk '/^Mem:/ {print int($2 * 0.9)}')
  node="NodeName=$host NodeAddr=127.0.0.1 $topo RealMemory=$mem_mb State=UNKNOWN"
  cat > "$CONF.tmp" <<EOF
$MARK (state in $STATE_DIR)
ClusterName=qecpipe-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
# A requeued job waits cred_expire + 1 s before it may start again (default 120 s); short here
# so that requeue tests and demos do not idle for two minutes.
AuthInfo=cred_expire=10
StateSaveLocation=$STATE_DIR/spool/slurmctld
SlurmdSpoolDir=$STATE_DIR/spool/slurmd
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
MpiDefault=pmix
ReturnToService=2
SlurmdTimeout=60
MinJobAge=300
$node
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  CONF_CHANGED=1
  if cmp -s "$CONF.tmp" "$CONF"; then CONF_CHANGED=0; fi
  mv "$CONF.tmp" "$CONF"
  mkdir -p /etc/slurm
  if [ ! -e /etc/slurm/slurm.conf ] || grep -qF "$MARK" /etc/slurm/slurm.conf; then
    cp "$CONF" /etc/slurm/slurm.conf
  else
    say "note: /etc/slurm/slurm.conf belongs to someone else; clients need SLURM_CONF=$CONF"
  fi
}

munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  munge_ok && return 0
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  if [ ! -s /etc/munge/munge.key ]; then
    install -d -o munge -g munge -m 0700 /etc/munge
    if command -v mungekey >/dev/null; then
      runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key >/dev/null
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null
      chown munge:munge /etc/munge/munge.key
    fi
    chmod 0400 /etc/munge/munge.key
  fi
  runuser -u munge -- /usr/sbin/munged --force || return 1
  cp /run/munge/munged.pid "$RUN_DIR/munged.pid" 2>/dev/null   # we started it: ours to stop
  local i
  for i in $(seq 1 50); do munge_ok && return 0; sleep 0.1; done
  return 1
}

node_state() { sinfo -h -o %T 2>/dev/null | head -1; }

running() {
  pid_alive "$RUN_DIR/slurmctld.pid" slurmctld && pid_alive "$RUN_DIR/slurmd.pid" slurmd && munge_ok
}

show_logs() {
  local f
  for f in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" /var/log/munge/munged.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -15 "$f" >&2
  done
}

# One attempt at bringing the cluster to an idle node. Returns 0 when idle.
start_once() {
  start_munge || { say "munged did not start"; return 1; }
  pid_alive "$RUN_DIR/slurmctld.pid" slurmctld || /usr/sbin/slurmctld -i -f "$CONF" || return 1
  pid_alive "$RUN_DIR/slurmd.pid" slurmd || /usr/sbin/slurmd -f "$CONF" || return 1
  local i st
  for i in $(seq 1 300); do
    st=$(node_state)
    case "$st" in
      idle|mixed|allocated|completing)
        say "node $(hostname -s) is $st (after ${i}00 ms)"
        # slurmctld may report a restored state before slurmd registers: prove the whole
        # chain (munge, slurmctld, slurmd, step launch) with one tiny job step.
        if timeout 60 srun -N1 -n1 --quiet --job-name=local-cluster-probe true; then
          say "probe job step ran"
          return 0
        fi
        say "probe job step (srun -n1 true) failed"
        return 1 ;;
      down*|drain*|fail*)
        # e.g. left down by an earlier unclean stop; ReturnToService=2 normally handles it.
        scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 ;;
    esac
    sleep 0.1
  done
  say "node did not become idle within 30 s (state: '${st:-no answer from slurmctld}')"
  return 1
}

cmd_start() {
  [ "$(id -u)" -eq 0 ] || die "start needs root (it installs packages and starts daemons)"
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR" "$STATE_DIR/spool/slurmctld" "$STATE_DIR/spool/slurmd"
  install_packages
  write_conf
  if running && [ "$CONF_CHANGED" = 0 ]; then
    say "already running (SLURM_CONF=$CONF); node: $(node_state)"
    return 0
  fi
  # Leftovers from an unclean stop, or daemons running an older slurm.conf: stop only what
  # our PID files name.
  stop_pid "$RUN_DIR/slurmd.pid" slurmd
  stop_pid "$RUN_DIR/slurmctld.pid" slurmctld
  local attempt
  for attempt in 1 2 3; do
    if start_once; then
      say "started (SLURM_CONF=$CONF; logs in $LOG_DIR)"
      return 0
    fi
    say "attempt $attempt failed; diagnostics follow"
    show_logs
    stop_pid "$RUN_DIR/slurmd.pid" slurmd
    stop_pid "$RUN_DIR/slurmctld.pid" slurmctld
    sleep 1
  done
  die "Slurm cluster did not start (see the logs above and in $LOG_DIR)"
}

cmd_stop() {
  stop_pid "$RUN_DIR/slurmd.pid" slurmd
  stop_pid "$RUN_DIR/slurmctld.pid" slurmctld
  stop_pid "$RUN_DIR/munged.pid" munged
  return 0
}

cmd_status() {
  local ok=0 d
  for d in slurmctld slurmd munged; do
    if pid_alive "$RUN_DIR/$d.pid" "$d"; then
      say "$d running (pid $(cat "$RUN_DIR/$d.pid"))"
    elif [ "$d" = munged ] && munge_ok; then
      say "munged running (not started by this script)"
    else
      say "$d not running"; ok=1
    fi
  done
  if [ $ok -eq 0 ]; then
    say "node: $(node_state)  (SLURM_CONF=$CONF)"
    squeue 2>/dev/null
  fi
  return $ok
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
