#!/usr/bin/env bash
# The failover drill (issue 9): boots the whole suite in a temporary state folder, drives writes and reads against both
# regions, kills the primary region hard (SIGKILL to its broker, database and services), fails over, checks that no
# acknowledged write and no committed event was lost, then lets the old primary rejoin and fails back.
# Prints: failover rto_s=T lost_acknowledged=N duplicate_effects=D   (goals: T <= 15, N = 0, D = 0); exits 0 when met.
# Usage: ./eng/failover-drill.sh [--keep-state]
set -euo pipefail
cd "$(dirname "$0")/.."

./eng/install-deps.sh
echo "==> Building the drill and the suite (Release)" >&2
dotnet build tests/FailoverDrill -c Release -nologo -clp:ErrorsOnly >&2
exec dotnet tests/FailoverDrill/bin/Release/net10.0/PrivacySuite.FailoverDrill.dll "$@"
