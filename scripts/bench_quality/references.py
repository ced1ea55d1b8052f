"""statsforecast AutoARIMA (season_length=1: stock closes have no cycle to model) and prophet
(defaults: 25 changepoints in the first 80%, changepoint_prior_scale 0.05, seasonalities on
'auto', which on these windows means weekly + yearly for the daily ones and none for the weekly
ones) on raw prices, their default. Prophet gets the real trading dates, so its future dates are
the held-out closes' own."""

from __future__ import annotations

import json
import logging
import warnings

import numpy as np


def run_statsforecast(items: list[dict], out) -> None:
    warnings.filterwarnings("ignore")
    from statsforecast.arima import arima_string
    from statsforecast.models import AutoARIMA
    for it in items:
        m = AutoARIMA(season_length=1)
        m.fit(np.asarray(it["y"], dtype=float))
        mean = m.predict(h=it["horizon"])["mean"]
        out.write(json.dumps({"id": it["id"], "model": "statsforecast", "mean": [float(v) for v in mean],
                              "spec": arima_string(m.model_).strip()}) + "\n")


def run_prophet(items: list[dict], out) -> None:
    warnings.filterwarnings("ignore")
    import pandas as pd
    from prophet import Prophet
    for name in ("prophet", "cmdstanpy"):  # after the import, which sets up their handlers
        logging.getLogger(name).setLevel(logging.ERROR)
    for it in items:
        n = len(it["y"])
        m = Prophet()
        m.fit(pd.DataFrame({"ds": pd.to_datetime(it["dates"][:n]), "y": it["y"]}))
        f = m.predict(pd.DataFrame({"ds": pd.to_datetime(it["dates"][n:])}))
        out.write(json.dumps({"id": it["id"], "model": "prophet", "mean": [float(v) for v in f["yhat"]],
                              "spec": "prophet defaults"}) + "\n")
