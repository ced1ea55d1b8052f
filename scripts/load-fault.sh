#!/usr/bin/env bash
# The whole system under mixed load while its parts fail, bounded in time and on loopback only:
# private Redis, Postgres and S3 (moto, artifacts in S3), release builds, then
# scripts/load_fault.py runs WebAPI, 3 Workers and `Trainer schedule` under cached reads, new
# predictions, bring-your-own forecasts and logins, SIGKILLs workers, restarts Redis and freezes
# the S3 server, and ends with a table and three verdicts (exit 1 if one fails).
#
#   bash scripts/load-fault.sh      DURATION=180 s of load; THREADS=16; WORKERS=3; REDIS_DOWN=8; S3_DOWN=15
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh

swift build -c release --product WebAPI >/dev/null
swift build -c release --product Worker >/dev/null
swift build -c release --product Trainer >/dev/null
export BIN
BIN=$(swift build -c release --show-bin-path)
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
export PORT=$port LOG_LEVEL=${LOG_LEVEL:-warning} BCRYPT_COST=${BCRYPT_COST:-10} APP_ENV=development
export JWT_SECRET=load-secret-0123456789abcdef0123456789abcdef
export MARKET_DATA_DIR=$(pwd)/data/market STOCKHUB_SERVICES_DIR=$services_dir
# Enough quota and login attempts for the load itself; the limits have their own tests.
export JOB_QUOTA=${JOB_QUOTA:-600/min} LOGIN_MAX_FAILURES=1000 REGISTRATIONS_PER_HOUR=${REGISTRATIONS_PER_HOUR:-1000}
# Jobs whose storage hangs give up and retry rather than hold a runner for the default 300 s.
export JOB_TIMEOUT_SECONDS=${JOB_TIMEOUT_SECONDS:-60} JOB_VISIBILITY_TIMEOUT_SECONDS=${JOB_VISIBILITY_TIMEOUT_SECONDS:-30}
"$BIN/WebAPI" migrate >/dev/null
echo "load-fault: logs in $services_dir (web.log, worker*.log, trainer.log)"
python3 scripts/load_fault.py
