#!/usr/bin/env bash
# Measures ./eng/run.sh on this machine: seconds until every resource is Running and Healthy, and whether Ctrl-C
# (SIGINT) leaves any process behind. Uses the default ports, so nothing else may hold them; the state goes to a
# temporary folder, removed at the end. Quote its output in docs/running.md.
# Usage: ./eng/measure-startup.sh [RUNS]     (default 2: the first on a fresh state folder, the rest on that state)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-2}

# Every service's /health answers 200 only when its database and broker do, and a service starts only when what it
# waits for is healthy (AppHost/Program.cs), so these eleven answering means every resource is.
ports=(7100 7101 7102 7103 7104 7105 7201 7202 7203 7204 7205)
healthy() {
  local n=0
  for p in "${ports[@]}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$p/health")" = 200 ] && n=$((n + 1))
  done
  echo "$n"
}

dotnet build AppHost/PrivacySuite.AppHost.csproj -c Release -nologo -clp:ErrorsOnly -v:q >/dev/null
state=$(mktemp -d /tmp/privacysuite-startup.XXXXXX)
chmod 755 "$state"
trap 'pkill -9 -f "$state/" 2>/dev/null || true; rm -rf "$state"' EXIT

ms() { echo $(( $(date +%s%N) / 1000000 )); }
seconds() { printf '%d.%d' $(( $1 / 1000 )) $(( $1 % 1000 / 100 )); }

for run in $(seq 1 "$runs"); do
  log="$state/run-$run.log"
  start=$(ms)
  # A process group of its own, with SIGINT restored (a script's background job inherits it ignored), so that the
  # Ctrl-C below is delivered as a terminal delivers it.
  setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV' ./eng/run.sh --state-dir "$state/suite" >"$log" 2>&1 &
  pid=$!
  while :; do
    up=$(healthy)
    elapsed=$(( $(ms) - start ))
    [ "$up" = "${#ports[@]}" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then echo "run.sh exited before the suite was healthy; its output ($log):" >&2; tail -20 "$log" >&2; exit 1; fi
    if [ "$elapsed" -gt 600000 ]; then echo "not healthy after 600 s ($up/${#ports[@]} services); see $log" >&2; exit 1; fi
    printf '  run %d: %s s, %d/%d services healthy\n' "$run" "$(seconds "$elapsed")" "$up" "${#ports[@]}" >&2
    sleep 2
  done
  dashboard=$(grep -c 'Login to the dashboard at http://127.0.0.1:18888/login?t=' "$log" || true)

  # Ctrl-C as a terminal sends it: to the whole process group (run.sh's exec'd dotnet run, then the AppHost).
  stop=$(ms)
  kill -INT -- "-$pid"
  wait "$pid" || true
  stopped=$(( $(ms) - stop ))
  # DCP goes on cleaning for a few seconds after the AppHost has exited (docs/running.md): wait up to 60 s for the
  # last process of the suite (clusters, brokers, MailDev, services, DCP itself) to go.
  suite_processes() { pgrep -f "$state/suite/|$PWD/services/.*/bin/|aspire.hosting.orchestration" | wc -l || true; }
  while [ "$(suite_processes)" -gt 0 ] && [ $(( $(ms) - stop )) -lt 60000 ]; do sleep 0.5; done
  gone=$(( $(ms) - stop ))
  left=$(suite_processes)
  kind=$([ "$run" = 1 ] && echo "fresh state" || echo "existing state")
  echo "run $run ($kind): every resource healthy $(seconds "$elapsed") s after ./eng/run.sh started" \
       "(dashboard login URL printed: $([ "$dashboard" -gt 0 ] && echo yes || echo no));" \
       "Ctrl-C ended run.sh in $(seconds "$stopped") s and the last process of the suite $(seconds "$gone") s after it; processes left: $left"
done
