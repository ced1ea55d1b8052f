"""Reference forecasts from PyPI `prophet` for the Prophet-style model's tests.

Regenerate from the repository root (writes vectors.json next to this file):
    python3 -m venv /tmp/vec-venv
    /tmp/vec-venv/bin/pip install prophet==1.5.0 cmdstanpy==1.3.2 numpy==2.4.6 pandas==2.3.3
    /tmp/vec-venv/bin/python Tests/Vectors/prophet/generate.py
The prophet wheel bundles CmdStan (prophet/stan_model/cmdstan-2.37.0) and its compiled model; nothing
else is downloaded. Deterministic, byte for byte: fixed numpy seeds for the simulated series and for
prophet's interval sampling; L-BFGS starts from prophet's own initial values, so cmdstanpy's random
seed plays no part; no wall-clock time is stored. prophet's fit and predict import no scipy.

"versions" records python, prophet, cmdstanpy, the CmdStan that ran the fit (from the bundled
makefile, checked against the model binary's `info`), numpy and pandas; "source" says the same.

Our model sees values in step order only. prophet is fed consecutive calendar days
(ds = 2000-01-01 + t days) with its built-in seasonalities off and add_seasonality(period=5 / 252)
so that a step and a prophet day coincide. Only outputs (forecasts, fitted parameters) are stored.

The MAP fit is run with fit(df, sig_figs=18): prophet passes fit's keyword arguments on to
cmdstanpy's optimize, and CmdStan then writes the optimum with 18 significant digits (full double
precision) instead of its default 8, so k, m, delta, beta, sigma_obs and lp__ are stored exactly as
the optimiser found them (prophet's predictions use the same full-precision values).
params.lp is `lp__` at the optimum as CmdStan reported it; "lpConvention" states exactly what it
contains. params.changepointsT is prophet's `changepoints_t`, the data `t_change` of the Stan model.
"""
import json, logging, os, platform, re, sys, time
import numpy as np, pandas as pd

logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
logging.getLogger("prophet").setLevel(logging.WARNING)
import cmdstanpy
import prophet
from prophet import Prophet

HERE = os.path.dirname(os.path.abspath(__file__))
MARKET = os.path.join(HERE, "..", "..", "..", "data", "market")
HORIZON = 10
SAMPLES = 10000  # prophet's interval Monte Carlo; larger than its default 1000 to shrink reference noise
SIG_FIGS = 18  # CmdStan output precision for the optimum (its default writes 8 significant digits)
REGENERATE = ("python3 -m venv /tmp/vec-venv && /tmp/vec-venv/bin/pip install prophet==1.5.0 cmdstanpy==1.3.2 "
              "numpy==2.4.6 pandas==2.3.3 && /tmp/vec-venv/bin/python Tests/Vectors/prophet/generate.py")
LP_CONVENTION = (
    "params.lp is lp__ as CmdStan 'optimize' reports it at prophet's MAP optimum (prophet's defaults: L-BFGS for "
    "T >= 100, jacobian=false): the log density of prophet.stan's model block at the stored parameters, on prophet's "
    "scaled data, with every term that does not depend on a parameter dropped (Stan '~' statements, propto=true) and "
    "no Jacobian term for sigma_obs's <lower=0> bound. With T = len(y), y_i/yScale the scaled data, t_i = i/(T-1), "
    "A_ij = [t_i >= changepointsT_j], mu_i = (k + sum_j A_ij delta_j) t_i + m - sum_j A_ij changepointsT_j delta_j "
    "+ sum_l X_il beta_l, where X_i lists sin(2 pi r d_i/P), cos(2 pi r d_i/P) for r = 1..order of each seasonality "
    "in listed order and d_i = 10957 + i (days from 1970-01-01 to ds_i): "
    "lp = -k^2/50 - m^2/50 - sum_j |delta_j|/0.05 - 2 sigmaObs^2 - sum_l beta_l^2/200 - T log(sigmaObs) "
    "- sum_i (y_i/yScale - mu_i)^2/(2 sigmaObs^2), i.e. tau = changepoint_prior_scale = 0.05 and "
    "sigmas_l = seasonality_prior_scale = 10. Dropped constants: 2(-log 5 - log(2 pi)/2) for k, m; "
    "-S log(2 tau) for delta; -log 0.5 - log(2 pi)/2 for sigma_obs ~ normal(0, 0.5) (the normal's own "
    "constant only: the <lower=0> bound is not a T[] truncation, so nothing renormalises it); "
    "K(-log 10 - log(2 pi)/2) for beta; "
    "-T log(2 pi)/2 for the likelihood. jacobian=true would add log(sigmaObs). Written with sig_figs=18.")


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
    model.fit(df, sig_figs=SIG_FIGS)
    fit_seconds = time.perf_counter() - start  # printed only: a wall-clock time would make the file irreproducible
    mle = model.stan_fit
    assert isinstance(mle, cmdstanpy.CmdStanMLE), type(mle)
    optimum = mle.optimized_params_dict
    future = model.make_future_dataframe(HORIZON)
    out = {"id": name, "note": note, "y": [float(v) for v in y], "horizon": HORIZON,
           "seasonalities": [{"period": p, "order": o} for p, o in seasonalities]}
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
                     "changepointsT": [float(v) for v in model.changepoints_t],
                     "lp": float(optimum["lp__"])}
    # prophet's params are the CmdStan optimum itself (no rounding or refolding on the way).
    assert out["params"]["k"] == float(optimum["k"]) and out["params"]["sigmaObs"] == float(optimum["sigma_obs"])
    return out, fit_seconds, model


def versions(model):
    """Versions of everything the fits ran on. CmdStan's is read from the makefile of the CmdStan that
    prophet's backend pointed cmdstanpy at (its bundled copy) and checked against the model binary."""
    makefile = open(os.path.join(cmdstanpy.cmdstan_path(), "makefile")).read()
    cmdstan = re.search(r"^CMDSTAN_VERSION\s*:=\s*(\S+)", makefile, re.M).group(1)
    info = model.stan_backend.model.exe_info()
    binary = ".".join(info[f"stan_version_{part}"] for part in ("major", "minor", "patch"))
    assert binary == cmdstan, (binary, cmdstan)
    assert "scipy" not in sys.modules, "prophet now uses scipy: record its version"
    return {"prophet": prophet.__version__, "cmdstanpy": cmdstanpy.__version__, "cmdstan": cmdstan,
            "numpy": np.__version__, "pandas": pd.__version__, "python": platform.python_version()}


def main():
    runs = []
    for symbol in ("MSFT", "SPX", "IXIC"):
        c = closes(symbol)
        for end in (len(c), len(c) - 1000):
            runs.append(reference(f"{symbol}-log-{end}", np.log(c[end - 750:end]), [(5, 2), (252, 10)],
                                    f"log closes {end - 750}..{end - 1} of data/market/{symbol}.csv"))
    c = closes("MSFT")
    runs.append(reference("MSFT-price-500", c[-500:], [(5, 2), (252, 10)], "raw closes, last 500 of MSFT.csv"))
    runs.append(reference("SPX-log-300-weekday", np.log(closes("SPX")[-300:]), [(5, 2)],
                            "log closes, last 300 of SPX.csv; yearly seasonality dropped (period > n/2)"))
    runs.append(reference("sim-changepoints-750", simulated(750, 1, [200, 450, 620], [0.05, -0.03, 0.08, 0.0],
                                                           [0.4, -0.2, 0.1, -0.3, 0.0], 1.5, 0.5, 100.0),
                            [(5, 2), (252, 10)],
                            "trend 0.05/step, changes at 200, 450, 620 to -0.03, 0.08, 0.0; weekday pattern; yearly sine amp 1.5; noise sd 0.5"))
    runs.append(reference("sim-smooth-600", simulated(600, 2, [300], [0.02, 0.06], [0.0, 0.1, 0.0, -0.1, 0.0],
                                                     0.8, 0.3, 50.0),
                            [(5, 2), (252, 10)], "one change at 300; noise sd 0.3"))
    series = [out for out, _, _ in runs]
    v = versions(runs[0][2])
    doc = {"source": f"prophet {v['prophet']} (CmdStan {v['cmdstan']} bundled, via cmdstanpy {v['cmdstanpy']}), "
                     f"numpy {v['numpy']}, pandas {v['pandas']}, python {v['python']}",
           "versions": v,
           "regenerate": REGENERATE,
           "settings": "defaults except: built-in seasonalities off, add_seasonality(period, fourier_order) per series, "
                       f"uncertainty_samples={SAMPLES}; fit(df, sig_figs={SIG_FIGS}); ds = 2000-01-01 + t days",
           "lpConvention": LP_CONVENTION,
           "series": series}
    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump(doc, f, indent=1)
    for out, seconds, _ in runs:
        print(out["id"], "fit %.3fs" % seconds, "lp %.6f" % out["params"]["lp"], "yhat1 %.6f" % out["yhat"][0])


if __name__ == "__main__":
    main()
