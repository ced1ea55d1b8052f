"""Reference forecasts from PyPI `prophet` for the Prophet-style model's tests.

Regenerate: python3 Tests/Vectors/prophet/generate.py   (writes vectors.json next to this file)
Deterministic: fixed numpy seeds for the simulated series and for prophet's interval sampling.

Our model sees values in step order only. prophet is fed consecutive calendar days
(ds = 2000-01-01 + t days) with its built-in seasonalities off and add_seasonality(period=5 / 252)
so that a step and a prophet day coincide. Only outputs (forecasts, fitted parameters) are stored.
"""
import json, logging, os, sys, time
import numpy as np, pandas as pd

logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
logging.getLogger("prophet").setLevel(logging.WARNING)
import prophet
from prophet import Prophet

HERE = os.path.dirname(os.path.abspath(__file__))
MARKET = os.path.join(HERE, "..", "..", "..", "data", "market")
HORIZON = 10
SAMPLES = 10000  # prophet's interval Monte Carlo; larger than its default 1000 to shrink reference noise


def closes(symbol):
    return pd.read_csv(os.path.join(MARKET, f"{symbol}.csv"))["close"].to_numpy(float)


def simulated(n, seed, changepoints, slopes, weekday, yearly_amp, noise, level):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    slope = np.full(n, slopes[0])
    for c, s in zip(changepoints, slopes[1:]):
        slope[t >= c] = s
    trend = level + np.concatenate([[0.0], np.cumsum(slope[1:])])
    season = np.array(weekday)[np.arange(n) % 5] + yearly_amp * np.sin(2 * np.pi * t / 252 + 0.7)
    return trend + season + rng.normal(0, noise, n)


def reference(name, y, seasonalities, note):
    n = len(y)
    df = pd.DataFrame({"ds": pd.date_range("2000-01-01", periods=n, freq="D"), "y": y})
    model = Prophet(yearly_seasonality=False, weekly_seasonality=False, daily_seasonality=False,
                    uncertainty_samples=SAMPLES)
    for period, order in seasonalities:
        model.add_seasonality(name=f"p{period}", period=period, fourier_order=order)
    np.random.seed(20260101)
    start = time.perf_counter()
    model.fit(df)
    fit_seconds = time.perf_counter() - start
    future = model.make_future_dataframe(HORIZON)
    out = {"id": name, "note": note, "y": [float(v) for v in y], "horizon": HORIZON,
           "seasonalities": [{"period": p, "order": o} for p, o in seasonalities],
           "fitSeconds": fit_seconds}
    for width in (0.8, 0.95):
        model.interval_width = width
        np.random.seed(20260102)
        pred = model.predict(future)
        tail = pred.tail(HORIZON)
        key = str(int(round(width * 100)))
        out["yhat"] = [float(v) for v in tail["yhat"]]
        out["lower" + key] = [float(v) for v in tail["yhat_lower"]]
        out["upper" + key] = [float(v) for v in tail["yhat_upper"]]
        hist = pred.head(n)
        out["fittedInSample"] = [float(v) for v in hist["yhat"]]
    p = model.params
    out["params"] = {"k": float(p["k"][0][0]), "m": float(p["m"][0][0]),
                     "delta": [float(v) for v in p["delta"][0]], "sigmaObs": float(p["sigma_obs"][0][0]),
                     "beta": [float(v) for v in p["beta"][0]], "yScale": float(model.y_scale),
                     "changepointsT": [float(v) for v in model.changepoints_t]}
    return out


def main():
    series = []
    for symbol in ("MSFT", "SPX", "IXIC"):
        c = closes(symbol)
        for end in (len(c), len(c) - 1000):
            series.append(reference(f"{symbol}-log-{end}", np.log(c[end - 750:end]), [(5, 2), (252, 10)],
                                    f"log closes {end - 750}..{end - 1} of data/market/{symbol}.csv"))
    c = closes("MSFT")
    series.append(reference("MSFT-price-500", c[-500:], [(5, 2), (252, 10)], "raw closes, last 500 of MSFT.csv"))
    series.append(reference("SPX-log-300-weekday", np.log(closes("SPX")[-300:]), [(5, 2)],
                            "log closes, last 300 of SPX.csv; yearly seasonality dropped (period > n/2)"))
    series.append(reference("sim-changepoints-750", simulated(750, 1, [200, 450, 620], [0.05, -0.03, 0.08, 0.0],
                                                           [0.4, -0.2, 0.1, -0.3, 0.0], 1.5, 0.5, 100.0),
                            [(5, 2), (252, 10)],
                            "trend 0.05/step, changes at 200, 450, 620 to -0.03, 0.08, 0.0; weekday pattern; yearly sine amp 1.5; noise sd 0.5"))
    series.append(reference("sim-smooth-600", simulated(600, 2, [300], [0.02, 0.06], [0.0, 0.1, 0.0, -0.1, 0.0],
                                                     0.8, 0.3, 50.0),
                            [(5, 2), (252, 10)], "one change at 300; noise sd 0.3"))
    doc = {"source": f"prophet {prophet.__version__}, numpy {np.__version__}, pandas {pd.__version__}, python {sys.version.split()[0]}",
           "regenerate": "python3 Tests/Vectors/prophet/generate.py",
           "settings": "defaults except: built-in seasonalities off, add_seasonality(period, fourier_order) per series, "
                       f"uncertainty_samples={SAMPLES}; ds = 2000-01-01 + t days",
           "series": series}
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(doc, f, indent=1)
    for s in series:
        print(s["id"], "fit %.3fs" % s["fitSeconds"], "yhat1 %.6f" % s["yhat"][0])


if __name__ == "__main__":
    main()
