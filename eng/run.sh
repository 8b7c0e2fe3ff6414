#!/usr/bin/env bash
# Runs the whole suite through the Aspire AppHost: both regions' RabbitMQ, PostgreSQL and MailDev, every service, and
# the Aspire dashboard. Installs missing Debian packages first when run as root, builds once (Release), then starts the
# AppHost, which prints the dashboard's login URL. Ctrl-C (or SIGTERM) stops everything; nothing outlives it.
usage() {
  cat <<'EOF'
Usage: ./eng/run.sh [--fresh] [--state-dir DIR] [--random-ports]
  --state-dir DIR   where databases, brokers, region roles and generated secrets live (default: .suite/ in the repo)
  --fresh           wipe the state folder first (all data and secrets)
  --random-ports    pick every port free (two suites side by side); the default ports are fixed:
                    services 7101-7105 (beijing) and 7201-7205 (guangzhou), PostgreSQL 5440/5441,
                    AMQP 5680/5681, SMTP 1025/1026, dashboard http://127.0.0.1:18888
EOF
}
set -euo pipefail
cd "$(dirname "$0")/.."

state_dir=.suite
fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) fresh=1 ;;
    --state-dir) [ $# -ge 2 ] || { echo "--state-dir needs a folder" >&2; usage >&2; exit 2; }; state_dir=$2; shift ;;
    --random-ports) export PrivacySuite__RandomPorts=true ;;
    -h|--help) usage; exit 0 ;;
    *) echo "Unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

./eng/install-deps.sh

echo "==> Building the AppHost and the services (Release)"
# Building the AppHost builds every service it runs (its project references).
dotnet build AppHost/PrivacySuite.AppHost.csproj -c Release -nologo -clp:ErrorsOnly -v:q

state_dir=$(realpath -m "$state_dir")
if [ "$fresh" = 1 ] && [ -d "$state_dir" ]; then
  echo "==> --fresh: removing $state_dir"
  rm -rf "$state_dir"
fi
export PrivacySuite__StateDir="$state_dir"

echo "==> Starting the AppHost (state in $state_dir; the dashboard's login URL follows)"
# The http launch profile fixes the dashboard (18888), OTLP (18889) and resource-service (18890) ports, plain http on
# loopback (docs/running.md says why). exec: Ctrl-C and SIGTERM reach the AppHost, which stops every resource.
exec dotnet run --project AppHost/PrivacySuite.AppHost.csproj -c Release --no-build --launch-profile http
