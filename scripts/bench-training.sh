#!/usr/bin/env bash
# Training and serving benchmark (issue 11), printed as numbers:
#   1. the predict job's computation served from stored models (load, document, encoding; on a
#      filesystem store and on the S3 server) against today's fit-everything document;
#   2. each model's artifact size and the manifest's, and one artifact's S3 PUT+GET round trip;
#   3. a training run of SYMBOLS synthetic symbols (750 daily closes each, geometric random walks
#      over real trading days) fanned out by `Trainer run` to 2 Worker processes: wall time,
#      symbols/min, worker CPU seconds per symbol, the S3 server's CPU, each worker's peak RSS.
# Starts its own services (release builds; BUILD=debug for a quick check).
#
#   bash scripts/bench-training.sh                         SYMBOLS=500, artifacts on the private S3 server
#   BUILD=debug SYMBOLS=10 ROUNDS=20 bash scripts/bench-training.sh
#   TRAIN_STORAGE=file bash scripts/bench-training.sh      the training run writes to a folder instead of S3
#   CONCURRENCY=N sets WORKER_CONCURRENCY (default: the Worker's own default)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
pids=()
market=$(mktemp -d /tmp/stockhub-bench-market.XXXXXX)
on_exit+=('for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done' 'rm -rf "$market"')

BUILD=${BUILD:-release}
SYMBOLS=${SYMBOLS:-500}
build_log=$services_dir.build.log
on_exit+=('rm -f "$build_log"')
for product in Worker Trainer StockHubBench; do
  swift build -c "$BUILD" --product "$product" >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
done
bin=$(swift build -c "$BUILD" --show-bin-path)
export LOG_LEVEL=warning
if [[ -n "${CONCURRENCY:-}" ]]; then export WORKER_CONCURRENCY=$CONCURRENCY; fi

echo "== $BUILD build, $(nproc) cores"
"$bin/StockHubBench" training --rounds "${ROUNDS:-200}" --s3-rounds "${S3_ROUNDS:-50}" --fit-rounds "${FIT_ROUNDS:-10}" --round-trips "${ROUND_TRIPS:-50}"

# 3. The training run. CPU is utime+stime from /proc/<pid>/stat (fields 14 and 15, counted after
# the ") " that closes the command name), in clock ticks.
ticks=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
"$bin/StockHubBench" synthetic-market --count "$SYMBOLS" --points 750 --directory "$market" >/dev/null
export MARKET_DATA_DIR=$market REDIS_NAMESPACE="benchtrain-$RANDOM" MODEL_VERSION="bench-$RANDOM"
if [[ "${TRAIN_STORAGE:-s3}" == file ]]; then
  export STORAGE_URL="file://$market/.artifacts"
fi
for _ in 1 2; do
  "$bin/Worker" >/dev/null 2>&1 &
  pids+=($!)
done
sleep 2  # both workers connected and waiting
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "bench-training: Worker $pid exited at start" >&2; exit 1; }; done
moto=$(cat "$services_dir/moto.pid" 2>/dev/null || true)
before=()
for pid in "${pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
moto_before=$([[ -n "$moto" ]] && cpu_ticks "$moto" || echo 0)

symbols=$(cd "$market" && ls -- *.csv | sed 's/\.csv$//' | paste -sd,)
started=$(date +%s.%N)
status=0
summary=$(TRAIN_SYMBOLS=$symbols "$bin/Trainer" run 2>&1) || status=$?
finished=$(date +%s.%N)

echo
echo "== 3. training run: $SYMBOLS synthetic symbols × 750 closes, 2 Worker processes (WORKER_CONCURRENCY ${WORKER_CONCURRENCY:-default}), storage $(
  [[ "${TRAIN_STORAGE:-s3}" == file ]] && echo "file" || echo "S3 (moto)")"
echo "$summary" | grep -E "^training run|failed|skipped" | head -5 || true
wall=$(calc "$finished - $started")
worker_cpu=0
rows=()
for index in "${!pids[@]}"; do
  pid=${pids[$index]}
  cpu=$(calc "($(cpu_ticks "$pid") - ${before[$index]}) / $ticks")
  worker_cpu=$(calc "$worker_cpu + $cpu")
  rows+=("$(printf '%-48s%10.1f s CPU   peak RSS %s' "Worker $((index + 1)) (pid $pid)" "$cpu" \
    "$(awk '/^VmHWM:/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status")")")
done
printf '%-48s%10.1f s   (the Trainer polls once a second)\n' "wall time, Trainer run start to end" "$wall"
printf '%-48s%10.1f\n' "symbols/min" "$(calc "$SYMBOLS * 60 / $wall")"
printf '%-48s%10.3f s\n' "worker CPU per symbol" "$(calc "$worker_cpu / $SYMBOLS")"
printf '%s\n' "${rows[@]}"
if [[ -n "$moto" && "${TRAIN_STORAGE:-s3}" != file ]]; then
  printf '%-48s%10.1f s CPU\n' "S3 server (moto, pid $moto)" "$(calc "($(cpu_ticks "$moto") - $moto_before) / $ticks")"
fi
exit "$status"
