#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver) and a
# small CJK font (fonts-wqy-microhei: the Chinese labels render instead of empty boxes) for
# the browser test of the scoring dashboard (tests/e2e/test_scoring_dashboard.py), which
# drives Chromium with Python playwright and executable_path=/usr/bin/chromium. Never run
# `playwright install`: it downloads a browser from hosts this machine cannot reach.
# Usage: bash deploy/browser/setup-host.sh   (as root; idempotent, quiet; says what it did)
set -euo pipefail

log() { echo "[browser-setup] $*"; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)

if [ ${#missing[@]} -eq 0 ]; then
  log "chromium and a CJK font already installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  exit 0
fi

started=$(date +%s)
log "installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
log "installed in $(( $(date +%s) - started ))s: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
