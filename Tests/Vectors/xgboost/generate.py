#!/usr/bin/env python3
"""Reference vectors for the XGBoost tests (Tests/StockHubTests/Forecasting/TreeEnsembleTests.swift).

Regenerate from the repository root (these pins reproduce the committed file):
    python3 -m venv /tmp/xgb-venv
    /tmp/xgb-venv/bin/pip install numpy==2.4.6 xgboost==1.7.4
    /tmp/xgb-venv/bin/python Tests/Vectors/xgboost/generate.py

Writes Tests/Vectors/xgboost/vectors.json: a float32 feature matrix and labels (a noisy nonlinear
function of the features, fixed seed), a second matrix to predict, and the predictions of
- `xgboost.train` with the gradient-boosting settings StockHub's `xgboost` model uses, and
- `xgboost.XGBRFRegressor` (random-forest mode) with the settings of `random_forest`.
XGBoost 1.7.4 is the version Debian's libxgboost-dev ships, which StockHub links, so the
row subsampling draws the same rows from the same seed.
"""
import json
import os
import platform

import numpy as np
import xgboost as xgb

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")

rng = np.random.default_rng(20261204)
rows, columns, test_rows = 400, 15, 50
X = rng.normal(size=(rows, columns)).astype(np.float32)
y = (0.02 * np.tanh(X[:, 0]) - 0.01 * X[:, 1] * (X[:, 2] > 0) + 0.005 * rng.normal(size=rows)).astype(np.float32)
X_test = rng.normal(size=(test_rows, columns)).astype(np.float32)

common = {"objective": "reg:squarederror", "base_score": 0, "tree_method": "approx", "max_bin": 32,
          "nthread": 1, "seed": 0, "verbosity": 0}
boosting = dict(common, eta=0.05, max_depth=3, min_child_weight=20, subsample=0.8, colsample_bytree=0.8, **{"lambda": 1})
boosting_rounds = 60
booster = xgb.train(boosting, xgb.DMatrix(X, label=y), boosting_rounds)
boosting_predictions = booster.predict(xgb.DMatrix(X_test))

forest = xgb.XGBRFRegressor(n_estimators=100, learning_rate=1, max_depth=4, min_child_weight=20, subsample=0.632,
                            colsample_bynode=0.8, reg_lambda=1e-5, objective="reg:squarederror", base_score=0,
                            tree_method="approx", max_bin=32, n_jobs=1, random_state=0, verbosity=0)
forest.fit(X, y)
forest_predictions = forest.predict(X_test)


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


document = {
    "versions": {"python": platform.python_version(), "numpy": np.__version__, "xgboost": xgb.__version__},
    "rows": rows, "columns": columns, "test_rows": test_rows,
    "features": floats(X), "labels": floats(y), "test_features": floats(X_test),
    "boosting": {"parameters": {k: str(v) for k, v in boosting.items()}, "rounds": boosting_rounds,
                 "predictions": floats(boosting_predictions)},
    "forest": {"parameters": {k: str(v) for k, v in forest.get_xgb_params().items() if v is not None},
               "rounds": 1, "predictions": floats(forest_predictions)},
}
with open(OUT, "w") as f:
    json.dump(document, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {OUT}")
