#!/usr/bin/env bash
# Fuzzes the API against its own contract: schemathesis (PyPI, in a venv under .build) reads the
# served /openapi.yaml and sends generated requests, valid and not, to a real WebAPI and Worker
# on private services, with an admin user's token so every route is reachable. Fails on any
# server error, response outside the schema, or hang (no answer within 10 s).
#
#   bash scripts/fuzz.sh           FUZZ_MAX_EXAMPLES=50 per operation; BUILD=debug (release also works)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
web_pid=""
worker_pid=""
on_exit+=('[[ -n "$web_pid" ]] && kill "$web_pid" 2>/dev/null' '[[ -n "$worker_pid" ]] && kill "$worker_pid" 2>/dev/null')

venv=.build/fuzz-venv
if [[ ! -x "$venv/bin/schemathesis" ]]; then
  python3 -m venv "$venv" 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis>=4,<5"
fi

BUILD=${BUILD:-debug}
swift build -c "$BUILD" --product WebAPI >/dev/null
swift build -c "$BUILD" --product Worker >/dev/null
bin=$(swift build -c "$BUILD" --show-bin-path)

port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
export PORT=$port LOG_LEVEL=error BCRYPT_COST=10 LOGIN_MAX_FAILURES=1000
export JWT_SECRET=fuzz-secret-0123456789abcdef0123456789abcdef ADMIN_API_KEY=fuzz-admin-key-0123456789abcdef
export MARKET_DATA_DIR=$(pwd)/data/market
"$bin/WebAPI" migrate >/dev/null
STOCKHUB_ADMIN_PASSWORD='fuzz admin password 123' "$bin/WebAPI" admin create --username fuzzadmin --email fuzz@example.com >/dev/null
"$bin/WebAPI" 2>"$services_dir/web.log" &
web_pid=$!
"$bin/Worker" >/dev/null 2>&1 &
worker_pid=$!
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"fuzzadmin","password":"fuzz admin password 123"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# Logout revokes the token the fuzzer sends with every request: leave it out, or every later
# request would (rightly) be a 401. It is covered by the tests instead.
status=0
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.yaml" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /api/auth/logout \
  --max-examples "${FUZZ_MAX_EXAMPLES:-50}" --request-timeout 10 --workers 4 \
  --phases examples,fuzzing,stateful --seed "${FUZZ_SEED:-1}" || status=$?
if ((status != 0)); then
  echo "fuzz: schemathesis found problems (exit $status); the server's errors are in $services_dir/web.log:" >&2
  grep -i "error" "$services_dir/web.log" | tail -20 >&2 || true
fi
exit "$status"
