#!/usr/bin/env bash
# Installs PyTorch (CPU wheel, pinned) for the step-equivalence suite
# (tests/step_equivalence_test.ts), which fails under CI=true without it.
# Idempotent: does nothing when `python3 -c 'import torch'` already gives the pinned version.
# Source: the pip wheel torch==2.13.0 (CPU build), kept in the machine image's local wheel
# index (/opt/wheels, also reachable through the pip configuration); no network needed.
# Usage (as root on a fresh Debian 12 machine, or any user with a writable python3):
#   bash .ci/install_torch.sh
set -euo pipefail
TORCH_VERSION=2.13.0
PY="${IBML_PYTHON:-python3}"

have_torch() {
  "$PY" -W ignore -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" \
    >/dev/null 2>&1
}

if have_torch; then
  echo "install_torch: torch $TORCH_VERSION already installed ($("$PY" -W ignore -c 'import torch; print(torch.__file__)'))"
  exit 0
fi

# python3 and pip from Debian when missing (root only).
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null
  else
    echo "install_torch: $PY with pip is required (apt-get install python3 python3-pip)" >&2
    exit 2
  fi
fi

args=(install --quiet "torch==$TORCH_VERSION")
[ -d /opt/wheels ] && args+=(--find-links /opt/wheels)
# Debian's own python3 is "externally managed" (PEP 668): on a throwaway CI machine the
# system interpreter is the one the tests call, so install into it anyway.
if ! "$PY" -m pip "${args[@]}" 2>/tmp/install_torch.err; then
  if grep -q "externally-managed-environment" /tmp/install_torch.err; then
    "$PY" -m pip "${args[@]}" --break-system-packages
  else
    cat /tmp/install_torch.err >&2
    exit 1
  fi
fi

if have_torch; then
  echo "install_torch: installed torch $("$PY" -W ignore -c 'import torch; print(torch.__version__)')"
else
  echo "install_torch: torch $TORCH_VERSION did not import after installing" >&2
  exit 1
fi
