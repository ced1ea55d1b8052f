#!/usr/bin/env bash
# Forecasting benchmark (issue 5): our `Trainer forecast --model arima` against
# statsforecast's AutoARIMA and pmdarima's auto_arima on N daily price series of 750 points,
# scored on the 5 held-out points that follow each (MASE at h = 1, 2, 5), with per-series
# time. Prints Markdown tables; the raw numbers go to a JSON file under /tmp (path printed).
#
#   scripts/bench-forecast.sh [N]            # N series, default 1000
#   PM_N=20 scripts/bench-forecast.sh 200    # pmdarima on the first 20 only
#   scripts/bench-forecast.sh --references-only [N]   # no Trainer needed
#   REUSE=1 scripts/bench-forecast.sh        # keep the reference outputs of an earlier run
#                                            # with the same N/SEED/PM_N; re-run only ours
#
# Environment: PM_N (pmdarima subset, default 50: it takes ~1-25 s a series), SEED (default
# 20240605), MODEL (default arima; any `Trainer forecast --model` name), TRAINER (default
# .build/release/Trainer), WORKDIR (default /tmp/bench-forecast-n$N-seed$SEED), REUSE=1.
#
# Python packages (references and scoring):
#   python3 -m pip install numpy pandas statsforecast pmdarima
# Tested with statsforecast 2.1.1, pmdarima 2.1.1.
#
# Series (scripts/bench_forecast/series.py has the details): 50% windows of the bundled real
# closes data/market/{MSFT,SPX,IXIC}.csv at evenly spread offsets, 50% simulated price paths
# (GBM, ARIMA on log price with drift, Markov regime switches, GARCH + jumps, mean-reverting),
# deterministic for a given SEED. References forecast raw prices (their default).
#
# Timing: wall clock, references one series at a time in one single-threaded process after
# an untimed warm-up fit (statsforecast's numba JIT); ours is the wall time of one
# `Trainer forecast` process over all N series divided by N (its CPU time and the sum of its
# reported per-series `seconds` are shown too). On a shared machine these are noisy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

refs_only=0
if [[ ${1:-} == --references-only ]]; then refs_only=1; shift; fi
N=${1:-1000}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--references-only] [N]" >&2; exit 2; }
PM_N=${PM_N:-50}
((PM_N > N)) && PM_N=$N
SEED=${SEED:-20240605}
MODEL=${MODEL:-arima}
TRAINER=${TRAINER:-.build/release/Trainer}
WORKDIR=${WORKDIR:-/tmp/bench-forecast-n$N-seed$SEED}
REUSE=${REUSE:-0}

if ((!refs_only)) && [[ ! -x $TRAINER ]]; then
  echo "bench-forecast: $TRAINER not found; build it first:" >&2
  echo "  swift build -c release --product Trainer" >&2
  exit 1
fi

export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"
py() { python3 -m bench_forecast "$@" --workdir "$WORKDIR"; }
py check-deps

# A reference output is reused only if it was made for the same series and subset size.
fresh() { # file n
  [[ $REUSE == 1 && -s $WORKDIR/$1.jsonl && -s $WORKDIR/$1.meta.json ]] &&
    python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["n"] != int(sys.argv[2]))' \
      "$WORKDIR/$1.meta.json" "$2"
}

echo "== series: N=$N, seed $SEED, workdir $WORKDIR" >&2
if [[ $REUSE == 1 && -s $WORKDIR/series.jsonl ]] &&
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(not (m["n"]==int(sys.argv[2]) and m["seed"]==int(sys.argv[3])))' \
    "$WORKDIR/series.meta.json" "$N" "$SEED" 2>/dev/null; then
  echo "reusing $WORKDIR/series.jsonl" >&2
else
  REUSE=0
  rm -f "$WORKDIR"/{sf,pm,naive,ours}.{jsonl,meta.json}
  py generate --n "$N" --seed "$SEED" >&2
fi

py naive
echo "== statsforecast AutoARIMA over $N series (after a warm-up fit)" >&2
fresh sf "$N" && echo "reusing sf.jsonl" >&2 || py statsforecast
echo "== pmdarima auto_arima over the first $PM_N series" >&2
if ((PM_N > 0)); then
  fresh pm "$PM_N" && echo "reusing pm.jsonl" >&2 || py pmdarima --pm-n "$PM_N"
else
  rm -f "$WORKDIR"/pm.{jsonl,meta.json}
fi

rc=0
if ((!refs_only)); then
  echo "== ours: $TRAINER forecast --model $MODEL --horizon 5 ($N series, one process)" >&2
  py ours --trainer "$TRAINER" --model "$MODEL" || rc=$?
else
  rm -f "$WORKDIR"/ours.{jsonl,meta.json}
fi

json_out=/tmp/bench-forecast-results-n$N-seed$SEED-$(date +%Y%m%dT%H%M%S).json
py score --pm-n "$PM_N" --json-out "$json_out"
exit "$rc"
