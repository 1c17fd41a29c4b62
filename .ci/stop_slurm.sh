#!/usr/bin/env bash
# Stops the Slurm daemons started by .ci/start_slurm.sh, by the process ids it recorded in
# $IBML_SLURM_DIR/pids (default /tmp/ibml-slurm), slurmd first; removes the
# /etc/slurm/slurm.conf link the start script made. Safe to call when nothing runs.
set -uo pipefail

dir="${IBML_SLURM_DIR:-/tmp/ibml-slurm}"
if [ ! -f "$dir/pids" ]; then
  echo "stop_slurm: nothing recorded in $dir/pids"
  exit 0
fi
pids=()
for name in slurmd slurmctld munged; do
  pid="$(awk -v n="$name" '$1 == n {print $2}' "$dir/pids")"
  [ -n "$pid" ] || continue
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    # Give each daemon a moment before the next one goes (slurmd talks to slurmctld).
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
done
for pid in "${pids[@]}"; do
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
done
rm -f "$dir/pids"
if [ -f "$dir/linked-etc-conf" ] && [ -L /etc/slurm/slurm.conf ] &&
  [ "$(readlink /etc/slurm/slurm.conf)" = "$(cat "$dir/linked-etc-conf")" ]; then
  rm -f /etc/slurm/slurm.conf
  rm -f "$dir/linked-etc-conf"
fi
echo "stop_slurm: stopped ${#pids[@]} daemon(s)"
