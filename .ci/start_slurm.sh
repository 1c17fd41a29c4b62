#!/usr/bin/env bash
# Starts a one-node Slurm on this machine for the Slurm launcher tests (tests/slurm_test.ts):
# installs Debian's slurm-wlm and munge when missing (as root), writes a minimal slurm.conf
# into $IBML_SLURM_DIR (default /tmp/ibml-slurm), starts munged, slurmctld and slurmd on
# localhost in the foreground of background processes and records their pids in
# $IBML_SLURM_DIR/pids. Idempotent: a second call with the daemons still up does nothing.
# Stop them with .ci/stop_slurm.sh (by those pids).
#
# Clients (sbatch, squeue, ...) find the configuration through /etc/slurm/slurm.conf, which
# this script links to the written file when no slurm.conf exists there yet; otherwise
# export SLURM_CONF=$IBML_SLURM_DIR/slurm.conf (the script prints the line).
set -euo pipefail

dir="${IBML_SLURM_DIR:-/tmp/ibml-slurm}"
mkdir -p "$dir"

need_install=0
for cmd in sbatch squeue sacct scancel slurmctld slurmd munged; do
  command -v "$cmd" >/dev/null 2>&1 || need_install=1
done
if [ "$need_install" = 1 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "start_slurm: Slurm is not installed; as root: apt-get install slurm-wlm munge" >&2
    exit 1
  fi
  echo "start_slurm: installing slurm-wlm and munge (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurm-wlm munge >"$dir/apt.log" 2>&1 || {
    tail -n 20 "$dir/apt.log" >&2
    exit 1
  }
fi

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
if [ -f "$dir/pids" ]; then
  all_up=1
  while read -r name pid; do alive "$pid" || all_up=0; done <"$dir/pids"
  if [ "$all_up" = 1 ] && scontrol ping >/dev/null 2>&1; then
    echo "start_slurm: already running (pids in $dir/pids)"
    exit 0
  fi
  bash "$(dirname "$0")/stop_slurm.sh" || true
fi

host="$(hostname -s)"
cpus="$(nproc)"
# RealMemory in MiB: what is free now, less a margin, at least 512.
mem="$(free -m | awk '/^Mem:/ {m = int($7 * 0.9); if (m < 512) m = 512; print m}')"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"

# munge: a key of our own, its own socket and pid file under $dir.
if [ ! -s "$dir/munge/munge.key" ]; then
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 700 "$dir/munge"
chmod 400 "$dir/munge/munge.key"

cat >"$dir/slurm.conf" <<EOF
# Minimal one-node Slurm written by .ci/start_slurm.sh (ibml CI); not for production.
ClusterName=ibml-ci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${dir}/munge/munge.socket
CryptoType=crypto/munge
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=600
SlurmdTimeout=300
InactiveLimit=0
KillWait=10
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF

if [ ! -e /etc/slurm/slurm.conf ] && [ -w /etc ]; then
  mkdir -p /etc/slurm
  ln -s "$dir/slurm.conf" /etc/slurm/slurm.conf
  echo "$dir/slurm.conf" >"$dir/linked-etc-conf"
fi
export SLURM_CONF="$dir/slurm.conf"

start_bg() { # name, command...: runs it in the background, output to $dir/<name>.out
  local name="$1"
  shift
  nohup "$@" >"$dir/$name.out" 2>&1 </dev/null &
  echo "$name $!" >>"$dir/pids"
}
: >"$dir/pids"
start_bg munged munged --foreground --force --key-file="$dir/munge/munge.key" \
  --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
for _ in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
start_bg slurmctld slurmctld -D -i -f "$dir/slurm.conf"
for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
start_bg slurmd slurmd -D -f "$dir/slurm.conf" -N "$host"

# Wait until the node takes jobs.
for _ in $(seq 150); do
  state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
  case "$state" in idle* | mix* | alloc*) break ;; esac
  sleep 0.2
done
state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
case "$state" in
  idle* | mix* | alloc*) ;;
  *)
    echo "start_slurm: node $host is '$state', not idle; logs in $dir" >&2
    tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    exit 1
    ;;
esac
echo "start_slurm: Slurm up (node $host, $cpus CPUs, ${mem} MiB; pids in $dir/pids; logs in $dir)"
[ -f "$dir/linked-etc-conf" ] || echo "export SLURM_CONF=$dir/slurm.conf"
