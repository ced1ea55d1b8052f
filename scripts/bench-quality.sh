#!/usr/bin/env bash
# Quality benchmark (issue 12): our models (`Trainer forecast`: arima, prophet, ets, drift,
# naive, ensemble; default scale, so the statistical models run on log prices) against
# statsforecast's AutoARIMA and prophet, mean MASE (scaled by the in-sample naive MAE, as
# scripts/bench_forecast/score.py does) over:
#   weekly  the last close of each week of data/market/{MSFT,SPX,IXIC}.csv: 104 weeks (two
#           years) to fit, the next 13 scored (h = 1..13); 30 windows per symbol at evenly
#           spread offsets (heavily overlapping: many origins on the same history)
#   daily   750 closes to fit, the next 5 scored (h = 1..5); 10 windows per symbol
# References: statsforecast AutoARIMA(season_length=1) (weekly stock closes have no cycle
# to model) and prophet with its defaults and the real trading dates, both on raw prices.
#
#   scripts/bench-quality.sh                 # everything (references take ~3 min)
#   REUSE=1 scripts/bench-quality.sh         # keep the references of an earlier run
#
# Environment: TRAINER (default .build/release/Trainer), PYTHON (default python3; needs
# numpy pandas statsforecast prophet, e.g. python3 -m venv /tmp/q-venv &&
# /tmp/q-venv/bin/pip install numpy==2.4.6 pandas==2.3.3 statsforecast==2.1.1 prophet==1.5.0),
# WORKDIR (default /tmp/bench-quality), MODELS (default all six), REUSE=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TRAINER=${TRAINER:-.build/release/Trainer}
PYTHON=${PYTHON:-python3}
WORKDIR=${WORKDIR:-/tmp/bench-quality}
MODELS=${MODELS:-arima,prophet,ets,drift,naive,ensemble}
[[ -x $TRAINER ]] || { echo "bench-quality: $TRAINER not found; swift build -c release --product Trainer" >&2; exit 1; }
export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"
py() { "$PYTHON" -m bench_quality "$@" --workdir "$WORKDIR"; }
if [[ ${REUSE:-0} == 1 && -s $WORKDIR/weekly.statsforecast.jsonl && -s $WORKDIR/weekly.prophet.jsonl ]]; then
  echo "reusing the series and references in $WORKDIR" >&2
else
  py generate
  py statsforecast
  py prophet
fi
py ours --trainer "$TRAINER" --models "$MODELS"
py score
