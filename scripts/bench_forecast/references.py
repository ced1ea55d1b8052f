"""Reference runs: statsforecast AutoARIMA, pmdarima auto_arima and the naive forecast.

Each writes JSONL in the same shape as `Trainer forecast` prints, so scoring treats every
method alike: {"id", "model", "mean", "lo80", "hi80", "lo95", "hi95", "spec", "seconds"},
or {"id", "model", "error", "seconds"} when a fit fails. `seconds` is wall time of fit +
forecast (with intervals) for that one series, measured with time.perf_counter, one series
at a time in one process. Both references run on raw prices (their default).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
import warnings

import numpy as np

LEVELS = (80, 95)


def _finite(xs) -> list[float]:
    return [float(x) for x in np.asarray(xs, dtype=float).ravel()]


def _write(out, rec: dict) -> None:
    out.write(json.dumps(rec) + "\n")
    out.flush()


def _progress(name: str, i: int, n: int, t0: float) -> None:
    if sys.stderr.isatty() or (i + 1) % 100 == 0 or i + 1 == n:
        el = time.perf_counter() - t0
        sys.stderr.write(f"\r{name}: {i + 1}/{n} series, {el:.0f} s elapsed   ")
        if i + 1 == n:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _time_each(label: str, model: str, series: list[dict], fit, describe, out) -> float:
    """One warm-up fit (not timed), then one timed fit + forecast per series. `describe`
    turns a fit into the record's forecast fields, outside the timing. A failed fit is
    recorded and the run goes on: one bad fit must not stop the benchmark. Returns the
    warm-up's seconds."""
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    fit(100 * np.exp(np.cumsum(rng.normal(3e-4, 0.015, 750))))
    warm_s = time.perf_counter() - t
    t0 = time.perf_counter()
    for i, s in enumerate(series):
        t = time.perf_counter()
        try:
            fitted = fit(s["y"])
            sec = time.perf_counter() - t
            rec = {"id": s["id"], "model": model, **describe(fitted), "seconds": sec}
        except Exception as e:
            rec = {"id": s["id"], "model": model,
                   "error": f"{type(e).__name__}: {e}", "seconds": time.perf_counter() - t}
        _write(out, rec)
        _progress(label, i, len(series), t0)
    return warm_s


def run_statsforecast(series: list[dict], horizon: int, out) -> dict:
    warnings.filterwarnings("ignore")
    t = time.perf_counter()
    import statsforecast
    from statsforecast.arima import arima_string
    from statsforecast.models import AutoARIMA
    import_s = time.perf_counter() - t

    def fit(y):
        m = AutoARIMA(season_length=1)
        m.fit(np.asarray(y, dtype=float))
        f = m.predict(h=horizon, level=list(LEVELS))
        return m, f

    def describe(fitted):
        m, f = fitted
        return {"mean": _finite(f["mean"]),
                "lo80": _finite(f["lo-80"]), "hi80": _finite(f["hi-80"]),
                "lo95": _finite(f["lo-95"]), "hi95": _finite(f["hi-95"]),
                "spec": arima_string(m.model_).strip()}

    # The warm-up fit compiles statsforecast's numba kernels (JIT).
    warm_s = _time_each("statsforecast", "statsforecast.AutoARIMA", series, fit, describe, out)
    return {"version": statsforecast.__version__, "import_seconds": import_s,
            "warmup_seconds": warm_s, "config": "AutoARIMA(season_length=1), defaults otherwise"}


def run_pmdarima(series: list[dict], horizon: int, out) -> dict:
    warnings.filterwarnings("ignore")
    t = time.perf_counter()
    import pmdarima
    import_s = time.perf_counter() - t

    def fit(y):
        m = pmdarima.auto_arima(np.asarray(y, dtype=float), seasonal=False, stepwise=True,
                                suppress_warnings=True, error_action="ignore")
        ints = {}
        mean = None
        for lv in LEVELS:
            mean, ci = m.predict(n_periods=horizon, return_conf_int=True, alpha=1 - lv / 100)
            ints[lv] = np.asarray(ci)
        return m, np.asarray(mean), ints

    def describe(fitted):
        m, mean, ints = fitted
        return {"mean": _finite(mean),
                "lo80": _finite(ints[80][:, 0]), "hi80": _finite(ints[80][:, 1]),
                "lo95": _finite(ints[95][:, 0]), "hi95": _finite(ints[95][:, 1]),
                "spec": f"ARIMA{m.order}" + (" with intercept" if m.with_intercept else "")}

    # The warm-up fit loads statsmodels' lazily imported pieces.
    warm_s = _time_each("pmdarima", "pmdarima.auto_arima", series, fit, describe, out)
    return {"version": pmdarima.__version__, "import_seconds": import_s, "warmup_seconds": warm_s,
            "config": "auto_arima(seasonal=False, stepwise=True), defaults otherwise; "
                      "the two predict calls for the 80%/95% intervals are inside the timing"}


def run_naive(series: list[dict], horizon: int, out) -> dict:
    # Random walk: every horizon gets the last close. Intervals from the in-sample
    # one-step differences (sigma * sqrt(h)), only for the coverage columns.
    from statistics import NormalDist
    z = {lv: NormalDist().inv_cdf(0.5 + lv / 200) for lv in LEVELS}
    for s in series:
        t = time.perf_counter()
        y = np.asarray(s["y"], dtype=float)
        sd = float(np.std(np.diff(y), ddof=1))
        last = float(y[-1])
        hs = np.sqrt(np.arange(1, horizon + 1))
        rec = {"id": s["id"], "model": "naive", "mean": [last] * horizon, "spec": "naive"}
        for lv in LEVELS:
            rec[f"lo{lv}"] = _finite(last - z[lv] * sd * hs)
            rec[f"hi{lv}"] = _finite(last + z[lv] * sd * hs)
        rec["seconds"] = time.perf_counter() - t
        _write(out, rec)
    return {"config": "last value, intervals sigma*sqrt(h) from in-sample differences"}
