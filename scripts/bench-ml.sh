#!/usr/bin/env bash
# Learned models' accuracy (issue 12): StockHub's `xgboost`, `random_forest` (and every other
# model) from `Trainer backtest`, side by side with the Python xgboost package and scikit-learn's
# random forest trained on the same features at the same origins (scripts/bench_ml/references.py),
# as mean MASE over h = 1..H relative to naive's on the same series and origins (below 1: better
# than the last close). Also each model's fit time on 750 closes (`Trainer forecast`, one core).
#
#   bash scripts/bench-ml.sh                 windows of the bundled MSFT, SPX and IXIC closes
#   WINDOWS=8 ORIGINS=20 bash scripts/bench-ml.sh
#
# Series: WINDOWS windows of 750 + ORIGINS*5 closes per bundled symbol, ending at evenly spread
# points of its history. Python packages: python3 -m pip install numpy xgboost==1.7.4 scikit-learn
# (PY=/path/to/python picks the interpreter; default python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WINDOWS=${WINDOWS:-6}
ORIGINS=${ORIGINS:-20}
PY=${PY:-python3}
work=$(mktemp -d /tmp/stockhub-bench-ml.XXXXXX)
trap 'rm -rf "$work"' EXIT
swift build -c release --product Trainer >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
trainer=$(swift build -c release --show-bin-path)/Trainer

"$PY" - "$WINDOWS" "$ORIGINS" >"$work/series.jsonl" <<'PY'
import csv, json, sys
windows, origins = int(sys.argv[1]), int(sys.argv[2])
length = 750 + origins * 5
for symbol in ("MSFT", "SPX", "IXIC"):
    closes = [float(r["close"]) for r in csv.DictReader(open(f"data/market/{symbol}.csv"))]
    for k in range(windows):
        end = len(closes) - k * (len(closes) - length) // max(windows - 1, 1)
        print(json.dumps({"id": f"{symbol}@{end}", "y": closes[end - length:end]}))
PY
echo "== $(wc -l <"$work/series.jsonl") series of $((750 + ORIGINS * 5)) closes; backtest: $ORIGINS origins 5 apart, h = 1..5, window 750"
"$trainer" backtest --horizon 5 --origins "$ORIGINS" --step 5 --window 750 --format jsonl "$work/series.jsonl" >"$work/ours.jsonl"
"$PY" scripts/bench_ml/references.py 5 "$ORIGINS" 5 750 "$work/series.jsonl" >"$work/references.jsonl"
"$PY" - "$work/ours.jsonl" "$work/references.jsonl" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    item = json.loads(line)
    for m in item["models"]:
        if m.get("horizons"):
            rows.setdefault(m["model"], {})[item["id"]] = sum(h["mase"] for h in m["horizons"]) / len(m["horizons"])
for line in open(sys.argv[2]):
    r = json.loads(line)
    rows.setdefault(r["model"], {})[r["id"]] = sum(r["mase"]) / len(r["mase"])
naive = rows["naive"]
print(f"{'model':24}{'series':>8}{'mean MASE':>12}{'÷ naive':>10}{'better than naive on':>22}")
for name, by_id in sorted(rows.items(), key=lambda kv: sum(kv[1].values()) / len(kv[1])):
    ids = [i for i in by_id if i in naive]
    mean = sum(by_id[i] for i in ids) / len(ids)
    ratio = mean / (sum(naive[i] for i in ids) / len(ids))
    wins = sum(by_id[i] < naive[i] for i in ids)
    print(f"{name:24}{len(ids):>8}{mean:>12.4f}{ratio:>10.3f}{wins:>17} of {len(ids)}")
PY

echo
echo "== fit time per model, 750 closes, one core (median of the $(($(wc -l <"$work/series.jsonl"))) series)"
"$PY" -c "
import json
for line in open('$work/series.jsonl'):
    d = json.loads(line); print(json.dumps({'id': d['id'], 'y': d['y'][-750:]}))" >"$work/fit.jsonl"
for model in naive drift arima ets prophet xgboost random_forest ${EXTRA_MODELS:-}; do
  "$trainer" forecast --model "$model" --horizon 5 --jobs 1 "$work/fit.jsonl" >"$work/fit-$model.jsonl"
  "$PY" -c "
import json, statistics
s = sorted(json.loads(l)['seconds'] for l in open('$work/fit-$model.jsonl'))
print(f'{\"$model\":16} median {statistics.median(s) * 1000:8.1f} ms   max {s[-1] * 1000:8.1f} ms')"
done
