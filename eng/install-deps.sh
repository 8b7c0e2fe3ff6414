#!/usr/bin/env bash
# Installs the Debian packages the suite and its tests need, when they are missing and we are root, and the npm tools
# under eng/tools (maildev, the local SMTP server) from its lock file.
# Usage: eng/install-deps.sh [extra-package ...]
set -euo pipefail
cd "$(dirname "$0")/.."

install_npm_tools() {
  # npm ci installs exactly what package-lock.json pins; a stamp of the lock's hash skips it when nothing changed.
  local stamp=eng/tools/node_modules/.installed-lock.sha256 want
  want=$(sha256sum eng/tools/package-lock.json | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "npm is missing (needed for maildev, the local SMTP server): install Node.js with npm, then rerun ./eng/install-deps.sh" >&2
    exit 1
  fi
  echo "==> Installing eng/tools (npm ci: maildev, about 5 s)"
  (cd eng/tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
}

# The Aspire CLI (dotnet aspire: `privacy region ...` and the runbooks use it), pinned in .config/dotnet-tools.json.
install_dotnet_tools() {
  dotnet tool restore >/dev/null || { echo "dotnet tool restore failed: the Aspire CLI (aspire.cli) could not be installed" >&2; exit 1; }
}

# chromium: browser tests (Playwright drives /usr/bin/chromium, headless); fonts-wqy-microhei: a Chinese font, so
# that the privacy centre's zh-CN pages render (and their screenshots show characters, not boxes).
# Extra packages come from the caller: eng/bench.sh adds postfix, for the notifications benchmark's smtp-sink.
packages=(rabbitmq-server postgresql wrk nodejs chromium fonts-wqy-microhei "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_npm_tools
  install_dotnet_tools
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "==> Installing ${missing[*]} (apt-get, about 15 s)"
# This image's apt hook deletes downloaded .debs between dpkg runs, which breaks installs that upgrade other
# packages on the way (INFRA.md): run apt with a configuration that clears the hook.
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
echo '#clear DPkg::Post-Invoke;' > "$conf"
# Postfix asks how to configure the mail system; "No configuration" writes no main.cf, so no daemon is ever started.
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
for attempt in 1 2 3; do
  if apt-get -c "$conf" update -qq && DEBIAN_FRONTEND=noninteractive apt-get -c "$conf" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    install_npm_tools
    install_dotnet_tools
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); another apt may hold the lock, or an earlier run broke: repairing and retrying" >&2
  DEBIAN_FRONTEND=noninteractive apt-get -c "$conf" --fix-broken install -y -qq >/dev/null || true
  sleep 5
done
echo "Could not install ${missing[*]}. Run: apt-get install -y ${missing[*]}" >&2
exit 1
