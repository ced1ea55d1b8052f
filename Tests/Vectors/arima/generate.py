"""Reference vectors for the Swift ARIMA tests (Tests/StockHubTests/Forecasting/ARIMATests.swift).

Regenerate from the repository root (deterministic; these pins reproduce the committed files byte for byte):
    python3 -m venv /tmp/vec-venv
    /tmp/vec-venv/bin/pip install numpy==2.4.6 scipy==1.17.1 pandas==2.3.3 statsmodels==0.15.0 pmdarima==2.1.1 scikit-learn==1.9.1
    /tmp/vec-venv/bin/python Tests/Vectors/arima/generate.py
Writes arima_fits.json (statsmodels fits, log-likelihoods, forecasts) and auto_arima.json
(pmdarima stepwise choices given d: d is chosen as R's forecast::ndiffs and statsforecast choose
it, repeated KPSS at 5% with floor(3 sqrt(n) / 13) lags, which our AutoARIMA follows; pmdarima's
own ndiffs takes KPSS's l4 = floor(4 (n/100)^(1/4)) lags, twice as many at 100 points, and AICc
values of different d are not comparable). Only numeric outputs of the packages are stored; "meta" records the
versions of python and of every package the fits use (numpy, scipy, pandas, statsmodels, pmdarima,
and scikit-learn, which pmdarima builds on).

Conventions matched (statsmodels.tsa.arima.model.ARIMA, defaults): regression with ARIMA errors,
trend 'c' = mean (d+D = 0), trend 't' = drift beta*t with t = 1..n (d+D = 1), no trend when
d+D >= 2; differencing kept in the state vector with an (approximately) diffuse initialisation,
which equals the exact likelihood of the differenced series up to ~1e-10 relative; stationarity
and invertibility enforced; sigma2 estimated; AICc = AIC + 2k(k+1)/(n-d-sD-k-1), k incl. sigma2.
"""
import json, os, platform, sys, warnings
import numpy as np, pandas as pd
import scipy, sklearn, statsmodels, pmdarima
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.stattools import kpss

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
MARKET = os.path.join(HERE, "..", "..", "..", "data", "market")


def market(symbol, start, length):
    close = pd.read_csv(os.path.join(MARKET, f"{symbol}.csv"))["close"].values
    return np.log(close[start:start + length])


def arma_sample(rng, n, ar=(), ma=(), mean=0.0, burn=200):
    e = rng.standard_normal(n + burn)
    x = np.zeros(n + burn)
    for t in range(n + burn):
        x[t] = e[t] + sum(a * x[t - 1 - i] for i, a in enumerate(ar) if t - 1 - i >= 0) \
            + sum(b * e[t - 1 - j] for j, b in enumerate(ma) if t - 1 - j >= 0)
    return x[burn:] + mean


def seasonal_sample(rng, n, m):
    t = np.arange(n)
    base = arma_sample(rng, n, ar=(0.5,))
    return 10 + 2 * np.sin(2 * np.pi * t / m) + np.cumsum(0.3 * rng.standard_normal(n)) + base


rng = np.random.default_rng(20261121)
air = np.log(pmdarima.datasets.load_airpassengers().astype(float))
wine = pmdarima.datasets.load_wineind().astype(float) / 1000
lynx = np.log(pmdarima.datasets.load_lynx().astype(float))

series = {
    "msft_log_500": market("MSFT", 1000, 500),
    "spx_log_750": market("SPX", 1500, 750),
    "ixic_log_300": market("IXIC", 200, 300),
    "msft_log_250": market("MSFT", 2200, 250),
    "sim_ar2_mean": arma_sample(rng, 300, ar=(0.6, -0.3), mean=5.0),
    "sim_arma11": arma_sample(rng, 400, ar=(0.8,), ma=(-0.4,), mean=1.0),
    "sim_ma2": arma_sample(rng, 200, ma=(0.5, 0.3), mean=-2.0),
    "sim_i2": np.cumsum(np.cumsum(arma_sample(rng, 250, ar=(0.4,), mean=0.05))),
    "air_log": air,
    "wine_k": wine,
    "lynx_log": lynx,
    "sim_seasonal_12": seasonal_sample(rng, 240, 12),
}

# (series, (p,d,q), (P,D,Q,s) or None, trend)
fit_cases = [
    ("msft_log_500", (1, 1, 0), None, "t"),
    ("msft_log_500", (0, 1, 1), None, "n"),
    ("spx_log_750", (2, 1, 2), None, "t"),
    ("ixic_log_300", (1, 1, 1), None, "n"),
    ("msft_log_250", (0, 1, 0), None, "t"),
    ("sim_ar2_mean", (2, 0, 0), None, "c"),
    ("sim_ar2_mean", (1, 0, 1), None, "n"),
    ("sim_arma11", (1, 0, 1), None, "c"),
    ("sim_ma2", (0, 0, 2), None, "c"),
    ("sim_i2", (1, 2, 0), None, "n"),
    ("sim_i2", (1, 2, 1), None, "n"),
    ("lynx_log", (2, 0, 0), None, "c"),
    ("lynx_log", (3, 0, 1), None, "c"),
    ("air_log", (0, 1, 1), (0, 1, 1, 12), "n"),
    ("air_log", (1, 1, 0), (1, 1, 0, 12), "n"),
    ("wine_k", (1, 0, 1), (0, 1, 1, 12), "t"),
    ("sim_seasonal_12", (1, 0, 0), (1, 0, 0, 12), "c"),
    ("sim_seasonal_12", (0, 1, 1), (1, 0, 1, 12), "t"),
]

fits = []
for name, order, seasonal, trend in fit_cases:
    y = series[name]
    model = ARIMA(y, order=order, seasonal_order=seasonal or (0, 0, 0, 0), trend=trend)
    res = model.fit()
    names = list(model.param_names)
    p = dict(zip(names, res.params))
    pick = lambda prefix: [float(v) for k, v in p.items() if k.startswith(prefix + ".L")]
    constant = p.get("const", p.get("x1", p.get("drift")))
    fc = res.get_forecast(10)
    ci80 = fc.conf_int(alpha=0.2)
    ci95 = fc.conf_int(alpha=0.05)
    fits.append({
        "series": name, "order": list(order), "seasonal": list(seasonal) if seasonal else None, "trend": trend,
        "param_names": names,
        "ar": pick("ar"), "ma": pick("ma"), "seasonal_ar": pick("ar.S"), "seasonal_ma": pick("ma.S"),
        "constant": None if constant is None else float(constant), "sigma2": float(p["sigma2"]),
        "loglik": float(res.llf), "aicc": float(res.aicc),
        "mean": [float(v) for v in fc.predicted_mean],
        "lo80": [float(v) for v in ci80[:, 0]], "hi80": [float(v) for v in ci80[:, 1]],
        "lo95": [float(v) for v in ci95[:, 0]], "hi95": [float(v) for v in ci95[:, 1]],
    })

# auto_arima: pmdarima stepwise with AICc, its default tests (KPSS for d, OCSB for D).
auto_series = {}
for i, (sym, start) in enumerate([("MSFT", 0), ("MSFT", 700), ("MSFT", 1500), ("SPX", 100), ("SPX", 900),
                                   ("SPX", 1700), ("IXIC", 50), ("IXIC", 800), ("IXIC", 1600), ("MSFT", 1100),
                                   ("SPX", 1300), ("IXIC", 1200)]):
    auto_series[f"{sym.lower()}_log_{start}_300"] = market(sym, start, 300)
for i, (sym, start) in enumerate([("MSFT", 300), ("SPX", 500), ("IXIC", 400)]):
    auto_series[f"{sym.lower()}_log_{start}_750"] = market(sym, start, 750)
for i in range(10):
    ar = [(0.5, -0.2), (0.7,), (), (0.3, 0.2), (-0.5,)][i % 5]
    ma = [(), (0.4,), (0.6, -0.3), (), (0.5,)][i % 5]
    x = arma_sample(rng, 200 + 20 * i, ar=ar, ma=ma, mean=float(i % 3))
    auto_series[f"sim_{i}"] = np.cumsum(x) / 10 if i % 2 else x
auto_series["lynx_log"] = lynx
auto_series["air_log"] = air
auto_series["wine_k"] = wine
seasonal_m = {"air_log": 12, "wine_k": 12}


def ndiffs_r(x, max_d=2):
    """d by R's forecast::ndiffs rule (also statsforecast's): difference while KPSS rejects
    level stationarity at 5%, with floor(3 sqrt(n) / 13) Bartlett lags."""
    d = 0
    while d < max_d and np.ptp(x) > 0 and kpss(x, "c", nlags=int(np.floor(3 * np.sqrt(len(x)) / 13)))[1] < 0.05:
        x, d = np.diff(x), d + 1
    return d


autos = []
for name, y in auto_series.items():
    m = seasonal_m.get(name, 1)
    # D as auto_arima picks it itself (OCSB), then d on the seasonally differenced series.
    D = pmdarima.arima.nsdiffs(y, m=m, max_D=1, test="ocsb") if m > 1 else 0
    d = ndiffs_r(y[m * D:] - y[:-m * D] if D else y)
    fit = pmdarima.auto_arima(y, d=d, D=D if m > 1 else None, seasonal=m > 1, m=m, stepwise=True,
                              information_criterion="aicc", suppress_warnings=True, error_action="ignore")
    autos.append({"series": name, "season_length": m, "order": list(fit.order),
                  "seasonal": list(fit.seasonal_order) if m > 1 else None,
                  "with_intercept": bool(fit.with_intercept), "aicc": float(fit.aicc())})
    print(name, fit.order, fit.seasonal_order if m > 1 else "", fit.with_intercept, file=sys.stderr)

REGENERATE = ("python3 -m venv /tmp/vec-venv && /tmp/vec-venv/bin/pip install numpy==2.4.6 scipy==1.17.1 pandas==2.3.3 "
              "statsmodels==0.15.0 pmdarima==2.1.1 scikit-learn==1.9.1 && /tmp/vec-venv/bin/python Tests/Vectors/arima/generate.py")
meta = {"generated_by": "Tests/Vectors/arima/generate.py", "regenerate": REGENERATE,
        "statsmodels": statsmodels.__version__, "pmdarima": pmdarima.__version__, "numpy": np.__version__,
        "scipy": scipy.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
        "python": platform.python_version()}
ser = {k: [float(v) for v in series[k]] for k in series}
with open(os.path.join(HERE, "arima_fits.json"), "w") as f:
    json.dump({"meta": meta, "series": ser, "fits": fits}, f, indent=1)
with open(os.path.join(HERE, "auto_arima.json"), "w") as f:
    json.dump({"meta": meta, "series": {k: [float(v) for v in y] for k, y in auto_series.items()}, "fits": autos}, f, indent=1)
