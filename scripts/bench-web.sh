#!/usr/bin/env bash
# Web benchmarks, printed as numbers: login latency at the configured bcrypt cost (right
# password, wrong password, unknown account); GET /api/auth/me and the cached
# GET /api/predictions/{symbol} over 64 connections with wrk (and GET /health, the ceiling); the peak RSS of WebAPI.
# Starts its own services, a WebAPI and a Worker (release builds).
#
#   bash scripts/bench-web.sh            BCRYPT_COST=12 by default; DURATION=15 seconds per wrk run; LOGIN_BENCH=0 skips login
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
web_pid=""
worker_pid=""
on_exit+=('[[ -n "$web_pid" ]] && kill "$web_pid" 2>/dev/null' '[[ -n "$worker_pid" ]] && kill "$worker_pid" 2>/dev/null')

swift build -c release --product WebAPI >/dev/null
swift build -c release --product Worker >/dev/null
swift build -c release --product StockHubBench >/dev/null
bin=$(swift build -c release --show-bin-path)

port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
export PORT=$port BCRYPT_COST=${BCRYPT_COST:-12} LOG_LEVEL=warning LOGIN_MAX_FAILURES=1000
export JWT_SECRET=bench-secret-0123456789abcdef0123456789abcdef
export MARKET_DATA_DIR=$(pwd)/data/market
"$bin/WebAPI" &
web_pid=$!
"$bin/Worker" >/dev/null 2>&1 &
worker_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

user="bench_$RANDOM"
password="bench password 123"
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/auth/register" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"$password\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

echo "== bcrypt cost $BCRYPT_COST, $(nproc) cores"
if [[ "${LOGIN_BENCH:-1}" != 0 ]]; then  # LOGIN_BENCH=0 skips the (minute-long) login rows
  "$bin/StockHubBench" login --url "http://127.0.0.1:$port" --login "$user" --password "$password" --requests 50 --concurrency 1
  "$bin/StockHubBench" login --url "http://127.0.0.1:$port" --login "$user" --password "$password" --requests 100 --concurrency 4
fi

# The ceiling on this machine: a route with no auth, no Redis and a tiny body.
echo "== GET /health, 64 connections, ${DURATION:-15}s (wrk)"
wrk -t2 -c64 -d"${DURATION:-15}"s --latency "http://127.0.0.1:$port/health" |
  grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"

echo "== GET /api/auth/me, 64 connections, ${DURATION:-15}s (wrk)"
wrk -t2 -c64 -d"${DURATION:-15}"s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/auth/me" |
  grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"

# The first request queues the forecast; wait for the worker to cache it, then measure cache hits.
curl -fs "http://127.0.0.1:$port/api/predictions/MSFT" -H "Authorization: Bearer $token" >/dev/null
for _ in $(seq 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/predictions/MSFT" -H "Authorization: Bearer $token")
  [[ "$code" == 200 ]] && break
  sleep 0.1
done
echo "== cached GET /api/predictions/MSFT (first answer $code), 64 connections, ${DURATION:-15}s (wrk)"
wrk -t2 -c64 -d"${DURATION:-15}"s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/predictions/MSFT" |
  grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
echo "WebAPI peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$web_pid/status")"
