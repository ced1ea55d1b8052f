#!/usr/bin/env bash
# Runs the whole system locally: Redis and Postgres (kept in .data/services between runs),
# a release build, the schema, then every Procfile process (web, worker, trainer) under
# honcho, offline with no API keys. Prints the dashboard URL. Ctrl-C stops it all.
#
#   PORT=9000 scripts/run.sh        choose the web port (default: 8080, or a free one)
#   STOCKHUB_STORAGE=s3 scripts/run.sh   keep artifacts in the local S3 server instead of files
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

bash deploy/install-deps.sh
mkdir -p "$root/.data"
bash deploy/services.sh start "$root/.data/services" >"$root/.data/services.log" 2>&1 || {
  cat "$root/.data/services.log"; exit 1; }
# shellcheck disable=SC1091
source "$root/.data/services/env"

if [[ "${STOCKHUB_STORAGE:-file}" == "file" ]]; then
  # Artifacts on disk survive restarts; the S3 server (in memory) is for tests and opt-in.
  export STORAGE_URL="file://$root/.data/artifacts"
fi
export REDIS_URL DATABASE_URL STORAGE_URL S3_ENDPOINT S3_REGION S3_DIALECT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
export APP_ENV=${APP_ENV:-development}
export MARKET_DATA_DIR=${MARKET_DATA_DIR:-$root/data/market}

echo "building (release; the first build takes several minutes)…"
swift build -c release
export PATH="$(swift build -c release --show-bin-path):$PATH"

port=${PORT:-8080}
if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
  port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
fi

# The PaaS release phase, run once before the processes start.
WebAPI migrate

echo
echo "StockHub dashboard: http://127.0.0.1:$port/   (API status: http://127.0.0.1:$port/api/status)"
echo "stop with Ctrl-C; services keep running: bash deploy/services.sh stop"
echo
# honcho gives every process type a PORT; web reads it, the others ignore it.
exec honcho start -f Procfile -p "$port" web worker trainer
