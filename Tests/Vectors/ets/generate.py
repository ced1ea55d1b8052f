#!/usr/bin/env python3
"""Reference vectors for the ETS tests (Tests/StockHubTests/Forecasting/ETSTests.swift).

Regenerate from the repository root (these pins reproduce the committed file byte for byte):
    python3 -m venv /tmp/vec-venv
    /tmp/vec-venv/bin/pip install numpy==2.4.6 scipy==1.17.1 pandas==2.3.3 statsmodels==0.15.0 statsforecast==2.1.1 pmdarima==2.1.1
    /tmp/vec-venv/bin/python Tests/Vectors/ets/generate.py

Writes Tests/Vectors/ets/ets.json. Deterministic: real series are fixed windows of
data/market/*.csv and pmdarima's bundled datasets; simulated series use fixed seeds.
"versions" records python and every package used: numpy, scipy, pandas, statsmodels,
statsforecast, pmdarima (datasets only).

Conventions recorded in the JSON:
- "season" lists the initial seasonal states in time order: season[i] applies to observation i
  of the first cycle (HKOS s(i+1-m)). statsmodels' `initial_seasonal` attribute already has
  this order; statsforecast's `par` lists s(0), s(-1), ... and is reversed here.
- statsmodels' ETSModel updates a multiplicative season with the new level l(t) in the
  denominator instead of HKOS table 2.3's l(t-1)+phi*b(t-1), so its multiplicative-season
  models are not used; those come from statsforecast, which follows HKOS.
- statsforecast's loglik follows forecast::ets: -0.5*(n*log(SSE) + 2*sum(log|yhat|)), without
  the Gaussian constants; "loglik_full" converts it to the full Gaussian log-likelihood with
  sigma^2 at its MLE, which is what statsmodels reports and StockHub's FittedETS uses.
"""
import json
import os
import platform
import warnings

import numpy as np
import pandas as pd
import pmdarima
import scipy
import statsforecast
import statsmodels
from statsforecast.models import AutoETS
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
HORIZON = 8
LEVELS = [80, 95]


def market(symbol, start, length, log=True):
    closes = pd.read_csv(os.path.join(ROOT, "data", "market", f"{symbol}.csv"))["close"].to_numpy(float)
    window = closes[start:start + length]
    return np.log(window) if log else window


def simulated_seasonal(seed, n, m, level=50.0, slope=0.05, amplitude=5.0, noise=1.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return level + slope * t + amplitude * np.sin(2 * np.pi * t / m) + noise * rng.standard_normal(n)


def simulated_damped(seed, n):
    """A damped-trend local level process with positive values."""
    rng = np.random.default_rng(seed)
    level, trend, out = 100.0, 1.0, []
    for _ in range(n):
        e = rng.standard_normal()
        y = level + 0.9 * trend + e
        level, trend = level + 0.9 * trend + 0.5 * e, 0.9 * trend + 0.1 * e
        out.append(y)
    return np.array(out)


SERIES = {
    "msft_log_250": (market("MSFT", 1500, 250), 1),
    "spx_close_200": (market("SPX", 2000, 200, log=False), 1),
    "ixic_log_300": (market("IXIC", 800, 300), 1),
    "msft_log_750": (market("MSFT", 2520 - 750, 750), 1),
    "damped_sim_120": (simulated_damped(7, 120), 1),
    "airpassengers": (np.asarray(pmdarima.datasets.load_airpassengers(), float), 12),
    "wineind": (np.asarray(pmdarima.datasets.load_wineind(), float), 12),
    "seasonal_sim_q": (simulated_seasonal(11, 80, 4), 4),
}

TREND = {"N": (None, False), "A": ("add", False), "Ad": ("add", True)}
KIND = {"A": "add", "M": "mul"}


def statsmodels_case(name, error, trend, season):
    y, m = SERIES[name]
    t, damped = TREND[trend]
    model = ETSModel(pd.Series(y), error=KIND[error], trend=t, damped_trend=damped,
                     seasonal=KIND.get(season), seasonal_periods=m if season != "N" else None)
    res = model.fit(disp=False, maxiter=2000)
    p = dict(zip(res.param_names, res.params))
    case = {
        "source": "statsmodels.ETSModel", "series": name, "error": error, "trend": trend, "season": season,
        "period": m if season != "N" else 1,
        "alpha": p["smoothing_level"], "beta": p.get("smoothing_trend", 0.0),
        "gamma": p.get("smoothing_seasonal", 0.0), "phi": p.get("damping_trend", 1.0),
        "level": p["initial_level"], "trend_state": p.get("initial_trend", 0.0),
        "season_states": list(map(float, res.initial_seasonal)) if season != "N" else [],
        "loglik_full": float(res.llf),
        "mean": list(map(float, res.forecast(HORIZON))),
    }
    if error == "A":
        pred = res.get_prediction(start=len(y), end=len(y) + HORIZON - 1)
        for level in LEVELS:
            frame = pred.summary_frame(alpha=1 - level / 100)
            case[f"lo{level}"] = list(map(float, frame["pi_lower"]))
            case[f"hi{level}"] = list(map(float, frame["pi_upper"]))
    return case


def statsforecast_states(fit, m, trend, season):
    par = fit["par"]
    has_trend, has_season, damped = trend != "N", season != "N", trend == "Ad"
    nstate = 1 + has_trend + (m if has_season else 0)
    x0 = fit["states"][0][:nstate]
    return {
        "alpha": float(par[0]), "beta": float(par[1]) if has_trend else 0.0,
        "gamma": float(par[2]) if has_season else 0.0, "phi": float(par[3]) if damped else 1.0,
        "level": float(x0[0]), "trend_state": float(x0[1]) if has_trend else 0.0,
        "season_states": list(map(float, x0[1 + has_trend:][::-1])) if has_season else [],
    }


def statsforecast_case(name, spec=None):
    y, m = SERIES[name]
    model = AutoETS(season_length=m, model=spec or "ZZZ").fit(y)
    fit = model.model_
    n = len(y)
    forecast = model.predict(h=HORIZON, level=LEVELS)
    method = fit["method"]  # e.g. "ETS(M,Ad,N)"
    error, trend, season = method[4:-1].split(",")
    case = {
        "source": "statsforecast.AutoETS" + (f"(model={spec})" if spec else ""), "series": name,
        "error": error, "trend": trend, "season": season, "period": m if season != "N" else 1,
        "loglik_statsforecast": float(fit["loglik"]),
        "loglik_full": float(fit["loglik"]) - n / 2 * (np.log(2 * np.pi / n) + 1),
        "aicc": float(fit["aicc"]), "sigma2": float(fit["sigma2"]),
        "mean": list(map(float, forecast["mean"])),
    }
    case.update(statsforecast_states(fit, m, trend, season))
    for level in LEVELS:
        case[f"lo{level}"] = list(map(float, forecast[f"lo-{level}"]))
        case[f"hi{level}"] = list(map(float, forecast[f"hi-{level}"]))
    return case


def main():
    fixed = []
    for name in ["msft_log_250", "spx_close_200", "ixic_log_300", "damped_sim_120"]:
        for error in "AM":
            for trend in ["N", "A", "Ad"]:
                fixed.append(statsmodels_case(name, error, trend, "N"))
    for name in ["airpassengers", "seasonal_sim_q"]:
        for error in "AM":
            for trend in ["N", "A", "Ad"]:
                fixed.append(statsmodels_case(name, error, trend, "A"))
    # Multiplicative seasons, and multiplicative-error interval formulas, from statsforecast.
    for name, spec in [("airpassengers", "MNM"), ("airpassengers", "MAM"), ("wineind", "MNM"),
                       ("spx_close_200", "MNN"), ("spx_close_200", "MAN"), ("damped_sim_120", "MAN"),
                       ("seasonal_sim_q", "MAA")]:
        fixed.append(statsforecast_case(name, spec))
    automatic = [statsforecast_case(name) for name in SERIES]
    out = {
        "generated_by": "Tests/Vectors/ets/generate.py",
        "regenerate": "python3 -m venv /tmp/vec-venv && /tmp/vec-venv/bin/pip install numpy==2.4.6 scipy==1.17.1 "
                      "pandas==2.3.3 statsmodels==0.15.0 statsforecast==2.1.1 pmdarima==2.1.1 "
                      "&& /tmp/vec-venv/bin/python Tests/Vectors/ets/generate.py",
        "versions": {"statsmodels": statsmodels.__version__, "statsforecast": statsforecast.__version__,
                     "pmdarima": pmdarima.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__, "pandas": pd.__version__, "python": platform.python_version()},
        "horizon": HORIZON, "levels": [level / 100 for level in LEVELS],
        "series": {name: {"y": list(map(float, y)), "period": m} for name, (y, m) in SERIES.items()},
        "fixed": fixed,
        "automatic": automatic,
    }
    with open(os.path.join(HERE, "ets.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
