#!/usr/bin/env bash
# Runs the whole suite: both regions' RabbitMQ and PostgreSQL, every service, and the operator dashboard.
# Installs missing Debian packages first when run as root, builds once (Release), then runs the AppHost from its
# build output. Ctrl-C stops services first, then infrastructure.
# Usage: ./eng/run.sh [--fresh] [--state-dir DIR] [--dashboard-port N] [--port NAME[.ENDPOINT]=N] ...  (--help for all)
set -euo pipefail
cd "$(dirname "$0")/.."

./eng/install-deps.sh

echo "==> Building the AppHost and the services (Release)"
# Building the AppHost builds every service it runs (project references, as in an Aspire AppHost).
dotnet build AppHost/PrivacySuite.AppHost.csproj -c Release -nologo -clp:ErrorsOnly -v:q

echo "==> Starting the AppHost (dashboard URL, token and credentials file below)"
exec dotnet AppHost/bin/Release/net10.0/PrivacySuite.AppHost.dll "$@"
