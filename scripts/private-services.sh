# Sourced (not run) by test.sh and the bench scripts, from the repository root: installs what is
# missing, starts a private Redis, Postgres and S3 server on free ports, exports their settings,
# and on exit runs the commands in `on_exit` and then stops and deletes the services.
bash deploy/install-deps.sh

services_dir=$(mktemp -d /tmp/stockhub-services.XXXXXX)
on_exit=()
stop_private_services() {
  local command
  for command in "${on_exit[@]}"; do eval "$command" || true; done
  bash deploy/services.sh stop --purge "$services_dir" >/dev/null 2>&1 || true
}
trap stop_private_services EXIT
if ! bash deploy/services.sh start "$services_dir" >"$services_dir.log" 2>&1; then
  cat "$services_dir.log"
  exit 1
fi
# shellcheck disable=SC1091
source "$services_dir/env"
export REDIS_URL DATABASE_URL STORAGE_URL S3_ENDPOINT S3_REGION S3_DIALECT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
