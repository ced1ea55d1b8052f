"""Deterministic benchmark series: 750 training points + 5 held-out points each.

The mix (fractions of N; counts by largest remainder, then a seeded shuffle of the whole
list so that any prefix — e.g. the pmdarima subset — is a representative sample):

  real         50%  windows of 755 consecutive daily closes of data/market/{MSFT,SPX,IXIC}.csv
                    (2,520 each), round-robin over the symbols; per symbol the window starts
                    are spread evenly over every possible offset 0..1765 (heavily overlapping
                    windows, i.e. many different forecast origins on the same real history).
  gbm          12%  geometric Brownian motion: daily log-return drift U(-5e-4, 1e-3),
                    volatility U(0.005, 0.03).
  arima_log    15%  ARIMA(p,1,q) on log price with drift, p, q in {0, 1, 2}, random stationary
                    and invertible coefficients.
  regime       10%  two-state Markov switching of (drift, volatility): calm/bull vs
                    turbulent/bear, persistence 0.98-0.995 per day.
  garch_jump    8%  GARCH(1,1) volatility clustering with Student-t(5) shocks plus rare
                    jumps (Merton style, ~1 per 100 days).
  mean_revert   5%  AR(1) on log price around a level, phi U(0.97, 0.995) (stationary,
                    d = 0), e.g. a range-bound stock.

Simulated paths start at a log-uniform price in 5..500 and are rounded to 4 decimals like
the real files. All values are raw prices (no log transform): the reference models run on
raw prices, which is their default; our CLI chooses its own scale and reports it in `spec`.
"""

from __future__ import annotations

import csv
import os

import numpy as np

TRAIN = 750
HOLDOUT = 5
WINDOW = TRAIN + HOLDOUT
SYMBOLS = ("MSFT", "SPX", "IXIC")
MIX = (
    ("real", 0.50),
    ("gbm", 0.12),
    ("arima_log", 0.15),
    ("regime", 0.10),
    ("garch_jump", 0.08),
    ("mean_revert", 0.05),
)


def counts(n: int) -> dict[str, int]:
    raw = [(kind, frac * n) for kind, frac in MIX]
    out = {kind: int(np.floor(x)) for kind, x in raw}
    rest = n - sum(out.values())
    for kind, x in sorted(raw, key=lambda kx: -(kx[1] - np.floor(kx[1])))[:rest]:
        out[kind] += 1
    return out


def load_closes(market_dir: str, symbol: str) -> np.ndarray:
    with open(os.path.join(market_dir, f"{symbol}.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    return np.array([float(r["close"]) for r in rows])


def _start(rng) -> float:
    return float(np.exp(rng.uniform(np.log(5), np.log(500))))


def _from_log_returns(rng, r: np.ndarray) -> np.ndarray:
    return _start(rng) * np.exp(np.concatenate([[0.0], np.cumsum(r)]))[: WINDOW]


def _stationary_coefs(rng, k: int) -> np.ndarray:
    # Sample partial autocorrelations in (-0.8, 0.8) and map them to AR coefficients
    # (Durbin-Levinson), which is always stationary; reused for invertible MA.
    if k == 0:
        return np.zeros(0)
    pac = rng.uniform(-0.8, 0.8, k)
    phi = np.zeros(0)
    for j in range(k):
        phi = np.concatenate([phi - pac[j] * phi[::-1], [pac[j]]])
    return phi


def gbm(rng) -> np.ndarray:
    mu, sigma = rng.uniform(-5e-4, 1e-3), rng.uniform(0.005, 0.03)
    return _from_log_returns(rng, rng.normal(mu, sigma, WINDOW))


def arima_log(rng) -> np.ndarray:
    p, q = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    ar, ma = _stationary_coefs(rng, p), _stationary_coefs(rng, q)
    mu, sigma = rng.uniform(-5e-4, 1e-3), rng.uniform(0.005, 0.025)
    burn = 200
    e = rng.normal(0, sigma, WINDOW + burn)
    x = np.zeros(WINDOW + burn)
    for t in range(WINDOW + burn):
        v = e[t]
        for i, a in enumerate(ar):
            if t - 1 - i >= 0:
                v += a * x[t - 1 - i]
        for i, b in enumerate(ma):
            if t - 1 - i >= 0:
                v += b * e[t - 1 - i]
        x[t] = v
    return _from_log_returns(rng, mu + x[burn:])


def regime(rng) -> np.ndarray:
    stay = rng.uniform(0.98, 0.995, 2)
    drift = (rng.uniform(0, 1e-3), rng.uniform(-2e-3, 0))
    vol = (rng.uniform(0.005, 0.012), rng.uniform(0.02, 0.045))
    s = int(rng.integers(0, 2))
    r = np.empty(WINDOW)
    for t in range(WINDOW):
        if rng.random() > stay[s]:
            s = 1 - s
        r[t] = rng.normal(drift[s], vol[s])
    return _from_log_returns(rng, r)


def garch_jump(rng) -> np.ndarray:
    target = rng.uniform(0.01, 0.025) ** 2
    alpha, beta = rng.uniform(0.04, 0.12), rng.uniform(0.8, 0.94)
    beta = min(beta, 0.985 - alpha)
    omega = target * (1 - alpha - beta)
    mu = rng.uniform(-3e-4, 8e-4)
    h, r = target, np.empty(WINDOW)
    for t in range(WINDOW):
        z = rng.standard_t(5) / np.sqrt(5 / 3)
        eps = np.sqrt(h) * z
        jump = rng.normal(-0.02, 0.06) if rng.random() < 0.01 else 0.0
        r[t] = mu + eps + jump
        h = omega + alpha * eps**2 + beta * h
    return _from_log_returns(rng, r)


def mean_revert(rng) -> np.ndarray:
    phi, sigma = rng.uniform(0.97, 0.995), rng.uniform(0.008, 0.02)
    level = np.log(_start(rng))
    x = rng.normal(0, sigma / np.sqrt(1 - phi**2))
    out = np.empty(WINDOW)
    for t in range(WINDOW):
        x = phi * x + rng.normal(0, sigma)
        out[t] = level + x
    return np.exp(out)


SIMULATORS = {
    "gbm": gbm,
    "arima_log": arima_log,
    "regime": regime,
    "garch_jump": garch_jump,
    "mean_revert": mean_revert,
}


def generate(n: int, seed: int, market_dir: str) -> list[dict]:
    rng = np.random.default_rng(seed)
    c = counts(n)
    items: list[dict] = []
    closes = {s: load_closes(market_dir, s) for s in SYMBOLS}
    per_symbol = [c["real"] // len(SYMBOLS) + (i < c["real"] % len(SYMBOLS)) for i in range(len(SYMBOLS))]
    for sym, k in zip(SYMBOLS, per_symbol):
        series = closes[sym]
        last = len(series) - WINDOW
        if last < 0:
            raise SystemExit(f"{sym}.csv has {len(series)} closes, need at least {WINDOW}")
        offsets = np.unique(np.round(np.linspace(0, last, k)).astype(int)) if k else []
        for off in offsets:
            w = series[off : off + WINDOW]
            items.append({"kind": "real", "source": f"{sym}@{off}", "values": w})
    for kind, _ in MIX[1:]:
        for i in range(c[kind]):
            v = np.round(SIMULATORS[kind](rng), 4)
            v = np.maximum(v, 0.0001)
            items.append({"kind": kind, "source": f"sim-{kind}-{i}", "values": v})
    order = rng.permutation(len(items))
    out = []
    for rank, idx in enumerate(order):
        it = items[idx]
        v = np.asarray(it["values"], dtype=float)
        out.append({
            "id": f"s{rank:05d}",
            "kind": it["kind"],
            "source": it["source"],
            "y": v[:TRAIN].tolist(),
            "future": v[TRAIN:].tolist(),
        })
    return out
