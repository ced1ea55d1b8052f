#!/usr/bin/env bash
# Runs every test. Installs what is missing (apt, pip), starts its own Redis, Postgres and
# S3 server (moto, signatures enforced) on free ports, builds, runs the suite against them,
# and stops them again whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash deploy/install-deps.sh

state=$(mktemp -d /tmp/stockhub-test-services.XXXXXX)
cleanup() { bash deploy/services.sh stop --purge "$state" >/dev/null 2>&1 || true; }
trap cleanup EXIT
if ! bash deploy/services.sh start "$state" >"$state.log" 2>&1; then
  cat "$state.log"
  exit 1
fi
# shellcheck disable=SC1091
source "$state/env"
export REDIS_URL DATABASE_URL STORAGE_URL S3_ENDPOINT S3_REGION S3_DIALECT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
echo "services: redis, postgres and s3 started under $state"

start=$(date +%s)
swift build --build-tests
echo "build: $(( $(date +%s) - start ))s"
start=$(date +%s)
swift test --skip-build "$@"
echo "tests: $(( $(date +%s) - start ))s"
