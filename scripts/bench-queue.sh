#!/usr/bin/env bash
# Queue benchmark, printed as numbers: end-to-end ping jobs/s with 1 and with 2 Worker
# processes, enqueue-to-done latency on an idle system, and each Worker's peak RSS. Only jobs
# whose record ends `done` count toward jobs/s and latency; failed, timed-out and dead-lettered
# jobs are counted and printed beside them. Starts its own services (release builds; BUILD=debug
# for a quick check).
#
#   JOBS=5000 CONCURRENCY=8 bash scripts/bench-queue.sh
#   TYPE=predict JOBS=60 LATENCY_JOBS=30 CONCURRENCY=2 bash scripts/bench-queue.sh
#       (forecast documents of the bundled symbols instead of pings: the Worker's real load)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/private-services.sh
source scripts/private-services.sh
pids=()
on_exit+=('for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done')

BUILD=${BUILD:-release}
swift build -c "$BUILD" --product Worker >/dev/null
swift build -c "$BUILD" --product StockHubBench >/dev/null
bin=$(swift build -c "$BUILD" --show-bin-path)
export LOG_LEVEL=warning WORKER_CONCURRENCY=${CONCURRENCY:-8}

for workers in 1 2; do
  namespace="bench$workers-$RANDOM"
  for _ in $(seq "$workers"); do
    REDIS_NAMESPACE=$namespace "$bin/Worker" >/dev/null 2>&1 &
    pids+=($!)
  done
  sleep 1
  echo "== $workers worker process(es), WORKER_CONCURRENCY=$WORKER_CONCURRENCY, $(nproc) cores"
  "$bin/StockHubBench" queue --namespace "$namespace" --type "${TYPE:-ping}" --jobs "${JOBS:-5000}" --latency-jobs "${LATENCY_JOBS:-200}"
  for pid in "${pids[@]}"; do
    echo "Worker $pid peak RSS: $(awk '/^VmHWM:/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status")"
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
done
