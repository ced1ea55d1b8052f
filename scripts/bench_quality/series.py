"""Windows of the bundled real closes data/market/{MSFT,SPX,IXIC}.csv (2,520 trading days each).

weekly: the last close of each ISO week (about 504 weeks per symbol); TRAIN_WEEKS = 104 weeks
        (two years) to fit, the next WEEKLY_H = 13 to score; per symbol N_WEEKLY windows at
        evenly spread offsets over every possible one.
daily:  750 closes to fit, the next DAILY_H = 5 to score; N_DAILY windows per symbol, offsets
        spread the same way.
Each record keeps the dates (prophet needs them) and the held-out values.
"""

from __future__ import annotations

import csv
import datetime as dt
import os

import numpy as np

SYMBOLS = ("MSFT", "SPX", "IXIC")
TRAIN_WEEKS, WEEKLY_H = 104, 13
TRAIN_DAYS, DAILY_H = 750, 5


def load(market_dir: str, symbol: str) -> tuple[list[str], np.ndarray]:
    with open(os.path.join(market_dir, f"{symbol}.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["date"] for r in rows], np.array([float(r["close"]) for r in rows])


def weekly(dates: list[str], closes: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Last close of each ISO week (a week's close is its last trading day's)."""
    out_d, out_c, last_key = [], [], None
    for d, c in zip(dates, closes):
        key = dt.date.fromisoformat(d).isocalendar()[:2]
        if key == last_key:
            out_d[-1], out_c[-1] = d, c
        else:
            out_d.append(d)
            out_c.append(c)
        last_key = key
    return out_d, np.array(out_c)


def windows(kind: str, per_symbol: int, market_dir: str) -> list[dict]:
    train, h = (TRAIN_WEEKS, WEEKLY_H) if kind == "weekly" else (TRAIN_DAYS, DAILY_H)
    items = []
    for sym in SYMBOLS:
        dates, closes = load(market_dir, sym)
        if kind == "weekly":
            dates, closes = weekly(dates, closes)
        last = len(closes) - train - h
        for off in np.unique(np.round(np.linspace(0, last, per_symbol)).astype(int)):
            off = int(off)
            items.append({"id": f"{kind}-{sym}@{off}", "kind": kind, "symbol": sym,
                          "dates": dates[off: off + train + h], "y": closes[off: off + train].tolist(),
                          "future": closes[off + train: off + train + h].tolist(), "horizon": h})
    return items
