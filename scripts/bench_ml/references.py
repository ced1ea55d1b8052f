#!/usr/bin/env python3
"""Reference learners for scripts/bench-ml.sh, on the same features and origins as StockHub's
`xgboost` and `random_forest` (Sources/Forecasting/MachineLearning).

For each series (JSONL lines {"id", "y"}) and each of its backtest origins (the plan of
`Trainer backtest --horizon H --origins K --step S --window W`), the references are trained ONCE,
on the W closes before the first origin, exactly as StockHub's backtest trains its tree models
once and keeps them between origins:
  - features: StockHub's ReturnFeatures recomputed here (5 lagged log returns; mean and volatility
    of returns over 5, 20, 60; log distance from the 5/20/60 moving averages; RSI-style momentum
    over 14), as float32;
  - targets: the log return over h = 1..H trading days, one model per h (direct strategy), on
    every origin of the training window whose targets end inside it;
  - xgboost: the Python package with StockHub's boosting settings;
  - scikit-learn RandomForestRegressor: 100 trees, min_samples_leaf 20, max_features 0.8.
No shrinkage, no calibration split: plain learners. Prints JSONL rows
{"id", "model", "mase": [h1..hH]} with MASE scaled as StockHub scales it (the in-sample one-step
naive MAE of the window before each origin), averaged over origins.
"""
import json
import math
import sys

import numpy as np
import xgboost as xgb
from sklearn.ensemble import RandomForestRegressor

LAGS, WINDOWS, MOMENTUM = 5, (5, 20, 60), 14
FIRST = max(LAGS, MOMENTUM, max(WINDOWS))


def features(c, t):
    r = np.zeros(len(c))
    r[1:] = np.log(c[1:] / c[:-1])
    row = [r[t - lag] for lag in range(LAGS)]
    means = [r[t - w + 1:t + 1].sum() / w for w in WINDOWS]
    row += means
    for w, m in zip(WINDOWS, means):
        d = r[t - w + 1:t + 1] - m
        row.append(math.sqrt((d * d).sum() / (w - 1)))
    row += [math.log(c[t] / (c[t - w + 1:t + 1].sum() / w)) for w in WINDOWS]
    window = r[t - MOMENTUM + 1:t + 1]
    gains, losses = window[window > 0].sum(), -window[window < 0].sum()
    row.append(gains / (gains + losses) - 0.5 if gains + losses > 0 else 0.0)
    return np.array(row, dtype=np.float32)


def origins(n, horizon, count, step):
    last = n - horizon
    fitting = min(count, (last - 60) // step + 1)
    return [last - k * step for k in reversed(range(fitting))]


def main():
    horizon, count, step, window = (int(a) for a in sys.argv[1:5])
    for line in open(sys.argv[5]):
        item = json.loads(line)
        y = np.array(item["y"], dtype=float)
        plan = origins(len(y), horizon, count, step)
        start = max(0, plan[0] - window)
        train = y[start:plan[0]]
        rows = range(FIRST, len(train) - horizon)
        X = np.stack([features(train, t) for t in rows])
        models = {"xgboost_py": [], "random_forest_sklearn": []}
        params = {"objective": "reg:squarederror", "base_score": 0, "tree_method": "approx", "max_bin": 32, "nthread": 1,
                  "seed": 0, "verbosity": 0, "eta": 0.05, "max_depth": 3, "min_child_weight": 20, "subsample": 0.8,
                  "colsample_bytree": 0.8, "lambda": 1}
        for h in range(1, horizon + 1):
            target = np.array([math.log(train[t + h] / train[t]) for t in rows], dtype=np.float32)
            models["xgboost_py"].append(xgb.train(params, xgb.DMatrix(X, label=target), 60))
            forest = RandomForestRegressor(n_estimators=100, min_samples_leaf=20, max_features=0.8, random_state=0, n_jobs=1)
            models["random_forest_sklearn"].append(forest.fit(X, target))
        errors = {name: np.zeros(horizon) for name in models}
        for origin in plan:
            history = y[max(0, origin - window):origin]
            scale = np.abs(np.diff(history)).mean()
            row = features(y, origin - 1)[None, :]
            for name, per_h in models.items():
                for h, model in enumerate(per_h, start=1):
                    predicted = model.predict(xgb.DMatrix(row) if name == "xgboost_py" else row)[0]
                    errors[name][h - 1] += abs(y[origin + h - 1] - y[origin - 1] * math.exp(predicted)) / scale
        for name, total in errors.items():
            print(json.dumps({"id": item["id"], "model": name, "mase": list(total / len(plan))}))


if __name__ == "__main__":
    main()
