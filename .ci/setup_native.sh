#!/usr/bin/env bash
# CI step: builds the native TensorFlow engine (deno task setup-native), idempotent.
# On a fresh Debian 12 machine as root it first installs the build tools from apt
# (g++, make, python3-pip, Node's headers); the TensorFlow wheel comes from pip's index
# (the local wheel index here). A second run finds the recorded build and does nothing.
# Call from .ci/run before the tests:   bash .ci/setup_native.sh || exit 1
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ ! -f "$node_prefix/include/node/node_api.h" ] && [ ! -f /usr/include/node/node_api.h ]; then
  need+=(libnode-dev)
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup_native.sh: apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup_native.sh: missing ${need[*]} and not root; setup-native will say what fails"
  fi
fi
npx -y deno task setup-native "$@"
