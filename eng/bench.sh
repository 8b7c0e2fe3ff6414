#!/usr/bin/env bash
# Runs one benchmark figure against real infrastructure and appends its result to docs/benchmarks.md.
# Usage: ./eng/bench.sh NAME [--no-record]      (./eng/bench.sh with no name lists the figures)
set -euo pipefail
cd "$(dirname "$0")/.."

# postfix: only for its smtp-sink, the notifications figure's SMTP server (installed unconfigured: no mail daemon).
./eng/install-deps.sh postfix
echo "==> Building the benchmarks (Release)" >&2
dotnet build bench/PrivacySuite.Benchmarks -c Release -nologo -clp:ErrorsOnly >&2

PRIVACYSUITE_TEST_ROOT=$(mktemp -d /tmp/privacysuite-bench.XXXXXX)
chmod 755 "$PRIVACYSUITE_TEST_ROOT"
export PRIVACYSUITE_TEST_ROOT
# The notifications figure's SMTP server keeps its mails in memory, under /dev/shm/$(basename root)-smtp-sink-*.
memory="/dev/shm/$(basename "$PRIVACYSUITE_TEST_ROOT")-smtp-sink"
trap 'pkill -9 -f "$PRIVACYSUITE_TEST_ROOT/" 2>/dev/null || true; pkill -9 -f "$memory" 2>/dev/null || true; rm -rf "$PRIVACYSUITE_TEST_ROOT" "$memory"-*' EXIT

dotnet bench/PrivacySuite.Benchmarks/bin/Release/net10.0/PrivacySuite.Benchmarks.dll "$@"
