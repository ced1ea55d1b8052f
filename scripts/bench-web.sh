#!/usr/bin/env bash
# Web benchmarks, printed as numbers: login latency at the configured bcrypt cost (right
# password, wrong password, unknown account); GET /api/auth/me and the cached
# GET /api/predictions/{symbol}, /api/stock/MSFT and /api/timeseries/MSFT?range=1Y over 64 connections with wrk
# (and GET /health, the ceiling); the peak RSS of WebAPI.
# Starts its own services, a WebAPI and a Worker (release builds; BUILD=debug for a quick check).
# Every wrk run counts the answers that were not 200 (scripts/wrk-status-count.lua: wrk's own
# Non-2xx counter does not flag a 202), and each route must answer 200 before it is measured.
#
#   bash scripts/bench-web.sh            BCRYPT_COST=12 by default; DURATION=15 seconds per wrk run; LOGIN_BENCH=0 skips login
#                                        PREDICTION_WAIT=300 seconds for the forecast to be cached (else exit 1)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
web_pid=""
worker_pid=""
on_exit+=('[[ -n "$web_pid" ]] && kill "$web_pid" 2>/dev/null' '[[ -n "$worker_pid" ]] && kill "$worker_pid" 2>/dev/null')

BUILD=${BUILD:-release}
swift build -c "$BUILD" --product WebAPI >/dev/null
swift build -c "$BUILD" --product Worker >/dev/null
swift build -c "$BUILD" --product StockHubBench >/dev/null
bin=$(swift build -c "$BUILD" --show-bin-path)

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

duration=${DURATION:-15}
# wrk with the status-counting script; prints wrk's figures and the count of non-200 answers.
bench() {
  wrk -t2 -c64 -d"${duration}"s --latency -s scripts/wrk-status-count.lua "$@" |
    grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Non-200|Socket errors"
}
# Fails the run unless GET $1 (further curl arguments after it) answers 200 now.
expect_200() {
  local url=$1 code
  shift
  code=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url")
  [[ "$code" == 200 ]] || { echo "bench-web: GET $url answered $code, not 200: not measuring it" >&2; exit 1; }
}
auth=(-H "Authorization: Bearer $token")

# The ceiling on this machine: a route with no auth, no Redis and a tiny body.
expect_200 "http://127.0.0.1:$port/health"
echo "== GET /health, 64 connections, ${duration}s (wrk)"
bench "http://127.0.0.1:$port/health"

expect_200 "http://127.0.0.1:$port/api/auth/me" "${auth[@]}"
echo "== GET /api/auth/me, 64 connections, ${duration}s (wrk)"
bench "${auth[@]}" "http://127.0.0.1:$port/api/auth/me"

# The first request queues the forecast; wait for the worker to cache it (answers 200, not
# 202), then measure cache hits. A prediction that never turns 200 ends the run with exit 1:
# measuring 202s would be labelled "cached" but measure something else.
prediction_url="http://127.0.0.1:$port/api/predictions/MSFT"
wait_limit=${PREDICTION_WAIT:-300}
waited_from=$SECONDS
job_url=""
while true; do
  # The job named by the last 202: stop at once if it failed (a new GET would only queue another).
  job_state=""
  [[ -n "$job_url" ]] && job_state=$(curl -s "${auth[@]}" "http://127.0.0.1:$port$job_url" |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"] + (": %s" % j.get("error") if j["status"] in ("failed", "timeout") else ""))' 2>/dev/null || true)
  if [[ "$job_state" != failed* && "$job_state" != timeout* ]]; then
    answer=$(curl -s -w '\n%{http_code}' "${auth[@]}" "$prediction_url")
    code=${answer##*$'\n'}
    [[ "$code" == 200 ]] && break
    [[ "$code" == 202 ]] && job_url=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["status_url"])' "${answer%$'\n'*}" 2>/dev/null || true)
  fi
  if [[ "$code" != 202 || "$job_state" == failed* || "$job_state" == timeout* ]] || ((SECONDS - waited_from >= wait_limit)); then
    echo "bench-web: GET /api/predictions/MSFT answers $code, not 200, after $((SECONDS - waited_from)) s (limit PREDICTION_WAIT=$wait_limit)${job_state:+; its job $job_url: $job_state}." >&2
    echo "bench-web: not measuring, as the \"cached\" run would not measure cache hits. Last answer: ${answer%$'\n'*}" | head -c 800 >&2
    echo >&2
    exit 1
  fi
  sleep 0.2
done
echo "== cached GET /api/predictions/MSFT (200 after $((SECONDS - waited_from)) s), 64 connections, ${duration}s (wrk)"
bench "${auth[@]}" "$prediction_url"
# Market data (issue 13): the first request fills the Redis cache; wrk measures hits.
for path in /api/stock/MSFT "/api/timeseries/MSFT?range=1Y"; do
  expect_200 "http://127.0.0.1:$port$path" "${auth[@]}"
  echo "== cached GET $path, 64 connections, ${duration}s (wrk)"
  bench "${auth[@]}" "http://127.0.0.1:$port$path"
done
echo "WebAPI peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$web_pid/status")"
