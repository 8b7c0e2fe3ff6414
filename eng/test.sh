#!/usr/bin/env bash
# Runs every test of the suite against real RabbitMQ and PostgreSQL, which the tests start themselves.
# Installs missing Debian packages first when run as root.
# Usage: ./eng/test.sh [extra dotnet test arguments, e.g. --filter "Clause=INF-6.5"]
set -euo pipefail
cd "$(dirname "$0")/.."

./eng/install-deps.sh

echo "==> Building (Release, warnings as errors)"
dotnet build PrivacySuite.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

results=$(mktemp -d)
PRIVACYSUITE_TEST_ROOT=$(mktemp -d /tmp/privacysuite-tests.XXXXXX)
chmod 755 "$PRIVACYSUITE_TEST_ROOT"   # the postgres user must reach its data folder below
export PRIVACYSUITE_TEST_ROOT
cleanup() {
  # Tests remove their infrastructure at exit; a crashed test host cannot, so sweep what it left in this run's root.
  pkill -9 -f "$PRIVACYSUITE_TEST_ROOT/" 2>/dev/null || true
  # A test node's epmd daemon detaches from the test host, and one stopped in the middle of its exit cleanup leaves it
  # running. Its command line does not name the run's root; the HOME it inherited from the node does.
  for pid in $(pgrep -x epmd || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -q "^HOME=$PRIVACYSUITE_TEST_ROOT/"; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$PRIVACYSUITE_TEST_ROOT" "$results"
}
trap cleanup EXIT

echo "==> Testing (each test project starts its own RabbitMQ and PostgreSQL on free ports)"
status=0
# One project at a time: each starts a broker and a database, and 2 cores do not carry several at once well.
# A test that hangs (no result for 15 minutes; the longest, the million-subject drill, takes about 7) ends its test
# host and fails there, with its name in the output, instead of holding the run until CI's own limit.
dotnet test PrivacySuite.sln -c Release --no-build -m:1 --logger "trx" --results-directory "$results" \
  --logger "console;verbosity=minimal" --blame-hang-timeout 15m --blame-hang-dump-type none "$@" || status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$line"); f=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$line")
  t=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$line"); e=$(sed -E 's/.* executed="([0-9]+)".*/\1/' <<<"$line")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + t - e))
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
