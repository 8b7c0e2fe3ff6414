#!/usr/bin/env bash
# Writes the Aspire manifest of the topology (every resource, its references, endpoints and environment; secrets as
# parameters without values) for a deployment tool to map onto hosts per region (docs/deploy.md).
# Usage: ./eng/publish.sh [OUTPUT_DIR]      (default artifacts/manifest; the file is aspire-manifest.json)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-artifacts/manifest}")

echo "==> Building the AppHost (Release)" >&2
dotnet build AppHost/PrivacySuite.AppHost.csproj -c Release -nologo -clp:ErrorsOnly -v:q >&2
echo "==> Writing $out/aspire-manifest.json" >&2
# A state folder of its own: publishing must not create or read the running suite's secrets.
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
PrivacySuite__StateDir="$state" dotnet AppHost/bin/Release/net10.0/PrivacySuite.AppHost.dll \
  --publisher manifest --output-path "$out" >&2
echo "$out/aspire-manifest.json"
