#!/usr/bin/env bash
# Installs Debian's Chromium for the HTML report browser test
# (tests/html_report_browser_test.ts drives /usr/bin/chromium through playwright-core; no
# browser download). Idempotent: does nothing when /usr/bin/chromium exists. Needs root.
set -euo pipefail
if [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ]; then
  echo "chromium: $( (/usr/bin/chromium --version || /usr/bin/chromium-browser --version) 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install_chromium.sh: needs root to apt-get install chromium (run it with sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
