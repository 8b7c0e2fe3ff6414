#!/usr/bin/env bash
# Writes each service's live OpenAPI document over docs/api/{service}.json (issue 20.4), by running its drift test with
# PRIVACYSUITE_UPDATE_API_DOCS=1 against real PostgreSQL and RabbitMQ, as the test does. Review the diff, then commit.
# Usage: ./eng/api-docs.sh [consent vault retention incidents notifications]
set -euo pipefail
cd "$(dirname "$0")/.."

services=("$@")
[ ${#services[@]} -gt 0 ] || services=(consent vault retention incidents notifications)

dotnet build PrivacySuite.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

PRIVACYSUITE_TEST_ROOT=$(mktemp -d /tmp/privacysuite-api-docs.XXXXXX)
chmod 755 "$PRIVACYSUITE_TEST_ROOT"   # the postgres user must reach its data folder below
export PRIVACYSUITE_TEST_ROOT PRIVACYSUITE_UPDATE_API_DOCS=1
trap 'pkill -9 -f "$PRIVACYSUITE_TEST_ROOT/" 2>/dev/null || true; rm -rf "$PRIVACYSUITE_TEST_ROOT"' EXIT

for service in "${services[@]}"; do
  project="tests/${service^}.Tests"
  [ -d "$project" ] || { echo "no test project $project" >&2; exit 2; }
  echo "==> docs/api/$service.json"
  dotnet test "$project" -c Release --no-build --logger "console;verbosity=minimal" \
    --filter "FullyQualifiedName~StartupTests.OpenApi_document_matches_the_one_committed_under_docs_api"
done
git status --short docs/api
