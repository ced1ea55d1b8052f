#!/usr/bin/env bash
# Market data with vendor keys, under wrk: a WebAPI whose Finnhub and Alpha Vantage point at a
# local stand-in (scripts/fake_vendor.py, the vendors' documented formats), measured twice:
#  1. cached GET /api/stock/MSFT and /api/timeseries/MSFT?range=1Y, 64 connections: req/s, p99;
#  2. a stream of cold symbols (GET /api/stock/S0..S1999, 64 connections, VENDOR_DURATION=75 s)
#     that asks the vendors far more often than their budgets allow.
# After each, the calls that reached the stand-in: the most in any second and in any minute,
# against FINNHUB_RATE_LIMITS (60/min,30/s) and ALPHA_VANTAGE_RATE_LIMITS (25/day). Exit 1
# when any budget was exceeded.
#
#   bash scripts/bench-vendor.sh        DURATION=15 s per cached run; BUILD=debug for a quick check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
web_pid=""
vendor_pid=""
on_exit+=('[[ -n "$web_pid" ]] && kill "$web_pid" 2>/dev/null' '[[ -n "$vendor_pid" ]] && kill "$vendor_pid" 2>/dev/null')

BUILD=${BUILD:-release}
swift build -c "$BUILD" --product WebAPI >/dev/null
bin=$(swift build -c "$BUILD" --show-bin-path)
free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

vendor_port=$(free_port)
python3 scripts/fake_vendor.py "$vendor_port" &
vendor_pid=$!
port=$(free_port)
export PORT=$port LOG_LEVEL=error BCRYPT_COST=10
export JWT_SECRET=bench-secret-0123456789abcdef0123456789abcdef
export MARKET_DATA_DIR=$(pwd)/data/market
export FINNHUB_API_KEY=bench-finnhub-key FINNHUB_BASE_URL=http://127.0.0.1:$vendor_port/api/v1
export ALPHA_VANTAGE_API_KEY=bench-av-key ALPHA_VANTAGE_BASE_URL=http://127.0.0.1:$vendor_port
export FINNHUB_RATE_LIMITS=${FINNHUB_RATE_LIMITS:-60/min,30/s} ALPHA_VANTAGE_RATE_LIMITS=${ALPHA_VANTAGE_RATE_LIMITS:-25/day}
"$bin/WebAPI" 2>"$services_dir/web.log" &
web_pid=$!
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && curl -fs "http://127.0.0.1:$vendor_port/__stats" >/dev/null && break; sleep 0.1; done

user="bench_$RANDOM"
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/auth/register" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"bench password 123\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
auth=(-H "Authorization: Bearer $token")

# The stand-in's counts, and whether they kept to the budgets (sets `exceeded`).
exceeded=0
report_vendor_calls() {
  curl -fs "http://127.0.0.1:$vendor_port/__stats" | python3 -c '
import json, sys
stats = json.load(sys.stdin)
f, a = stats["finnhub"], stats["alphavantage"]
print("  vendor calls so far: finnhub %d (most in a second %d, in a minute %d; budget 30/s, 60/min); alphavantage %d (budget 25/day)"
      % (f["calls"], f["max_per_second"], f["max_per_minute"], a["calls"]))
sys.exit(f["max_per_second"] > 30 or f["max_per_minute"] > 60 or a["calls"] > 25)' || exceeded=1
}
bench() {
  # A cold ask may wait for the budget (up to 2 s per vendor): longer than wrk's default timeout.
  wrk -t2 -c64 -d"$1"s --timeout 10s --latency -s scripts/wrk-status-count.lua "${@:2}" |
    grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Non-200|Socket errors"
}

duration=${DURATION:-15}
for path in /api/stock/MSFT "/api/timeseries/MSFT?range=1Y"; do
  first=$(curl -s "${auth[@]}" "http://127.0.0.1:$port$path" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("source"))')
  echo "== cached GET $path (source: $first), 64 connections, ${duration}s (wrk)"
  bench "$duration" "${auth[@]}" "http://127.0.0.1:$port$path"
  report_vendor_calls
done

cold=${VENDOR_DURATION:-75}
echo "== cold GET /api/stock/S0..S1999, 64 connections, ${cold}s (wrk): far more asks than the budgets"
WRK_PATHS=2000 bench "$cold" "${auth[@]}" "http://127.0.0.1:$port"
report_vendor_calls
echo "WebAPI peak RSS: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$web_pid/status")"
((exceeded == 0)) || { echo "bench-vendor: a vendor budget was exceeded" >&2; exit 1; }
