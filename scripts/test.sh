#!/usr/bin/env bash
# Runs every test. Installs what is missing (apt, pip), starts its own Redis, Postgres and
# S3 server (moto, signatures enforced) on free ports, builds, runs the suite against them,
# and stops them again whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
echo "services: redis, postgres and s3 started under $services_dir"

start=$(date +%s)
swift build --build-tests
echo "build: $(( $(date +%s) - start ))s"
start=$(date +%s)
swift test --skip-build "$@"
echo "tests: $(( $(date +%s) - start ))s"

# The whole suite (no --filter) also fuzzes the API against its contract (scripts/fuzz.sh, on
# its own services). FUZZ=0 skips it.
if (($# == 0)) && [[ "${FUZZ:-1}" != 0 ]]; then
  start=$(date +%s)
  bash scripts/fuzz.sh
  echo "fuzz: $(( $(date +%s) - start ))s"
fi
