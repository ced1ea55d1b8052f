#!/usr/bin/env bash
# Scrape latency of GET /metrics on a WebAPI holding a realistic number of series: it first
# serves every kind of route (2xx, 4xx, unmatched, every market data kind, predictions) so the
# request, cache and provider families are populated, queues 500 jobs (so the queue gauges read
# a non-empty stream), then times SCRAPES sequential scrapes with curl and prints p50/p99/max
# and the number of series. Starts its own services and WebAPI (BUILD=debug for a quick check).
#
#   bash scripts/bench-metrics.sh        SCRAPES=1000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
web_pid=""
on_exit+=('[[ -n "$web_pid" ]] && kill "$web_pid" 2>/dev/null')

BUILD=${BUILD:-release}
swift build -c "$BUILD" --product WebAPI >/dev/null
bin=$(swift build -c "$BUILD" --show-bin-path)
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
export PORT=$port BCRYPT_COST=10 LOG_LEVEL=warning JWT_SECRET=bench-secret-0123456789abcdef0123456789abcdef
export MARKET_DATA_DIR=$(pwd)/data/market REDIS_NAMESPACE="bench-metrics-$RANDOM"
"$bin/WebAPI" &
web_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
user="bench_$RANDOM"
token=$(curl -fs -X POST "$base/api/auth/register" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"bench password 123\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
auth=(-H "Authorization: Bearer $token")
symbols=$(ls data/market | head -20 | sed 's/\.csv$//')
for s in $symbols; do
  for path in stock timeseries intraday overview predictions; do curl -s -o /dev/null "${auth[@]}" "$base/api/$path/$s"; done
done
for path in /health /api/status /api/news /api/models /api/auth/me /api/jobs/none /nope "/api/stock/b%24d" /openapi.yaml /; do
  curl -s -o /dev/null "${auth[@]}" "$base$path"; curl -s -o /dev/null -X POST "$base$path"
done
# redis-cli -u sends an empty user name with the password (WRONGPASS): pass them apart.
redis_password=${REDIS_URL#redis://:}; redis_password=${redis_password%@*}
redis_port=${REDIS_URL##*:}; redis_port=${redis_port%%/*}
redis-cli -p "$redis_port" -a "$redis_password" --no-auth-warning eval "for i=1,500 do redis.call('XADD', KEYS[1], '*', 'job_id', i) end" 1 "$REDIS_NAMESPACE:jobs" >/dev/null
series=$(curl -fs "$base/metrics" | grep -vc '^#')
echo "queue depth as scraped: $(curl -fs "$base/metrics" | grep '^stockhub_queue_depth ')"
percentiles() { sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", t[int(NR * 0.5)], t[int(NR * 0.99)], t[NR] }'; }
echo "== GET /health (the HTTP floor: a new connection per curl), ${SCRAPES:-1000} requests"
for _ in $(seq "${SCRAPES:-1000}"); do curl -s -o /dev/null -w '%{time_total}\n' "$base/health"; done | percentiles
echo "== GET /metrics: $series series, $(nproc) cores, ${SCRAPES:-1000} sequential scrapes (curl, keep-alive off)"
for _ in $(seq "${SCRAPES:-1000}"); do curl -s -o /dev/null -w '%{time_total}\n' "$base/metrics"; done |
  percentiles
