"""python3 -m bench_forecast STEP --workdir DIR ...  (scripts/ on PYTHONPATH)

Steps: check-deps, generate, statsforecast, pmdarima, naive, ours, score.
"""

from __future__ import annotations

import os

# The references run one series at a time; a multi-threaded BLAS on a shared 2-core machine
# only adds contention (pmdarima was ~8x slower with OpenBLAS threads under load). Set
# before numpy is imported anywhere.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import importlib.util
import json
import sys

HORIZON = 5
PIP_LINE = "python3 -m pip install numpy pandas statsforecast pmdarima"


def check_deps(_args) -> int:
    missing = [m for m in ("numpy", "pandas", "statsforecast", "pmdarima") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"bench-forecast: missing Python packages: {' '.join(missing)}\n"
              f"  install them with: {PIP_LINE}", file=sys.stderr)
        return 1
    return 0


def _load_series(workdir: str, limit: int | None = None) -> list[dict]:
    from .score import read_jsonl
    s = read_jsonl(os.path.join(workdir, "series.jsonl"))
    return s[:limit] if limit else s


def generate(a) -> int:
    from . import series
    items = series.generate(a.n, a.seed, a.market_dir)
    os.makedirs(a.workdir, exist_ok=True)
    with open(os.path.join(a.workdir, "series.jsonl"), "w") as f:
        for it in items:
            f.write(json.dumps({"id": it["id"], "y": it["y"], "horizon": HORIZON}) + "\n")
    with open(os.path.join(a.workdir, "truth.jsonl"), "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    c = series.counts(a.n)
    json.dump({"n": a.n, "seed": a.seed, "counts": c}, open(os.path.join(a.workdir, "series.meta.json"), "w"))
    print(f"generated {a.n} series (seed {a.seed}): " + ", ".join(f"{k} {v}" for k, v in c.items())
          + f" -> {a.workdir}/series.jsonl")
    return 0


def _reference(a, key: str, fn, limit=None) -> int:
    from . import references
    s = _load_series(a.workdir, limit)
    with open(os.path.join(a.workdir, f"{key}.jsonl"), "w") as out:
        meta = getattr(references, fn)(s, HORIZON, out)
    meta["n"] = len(s)
    json.dump(meta, open(os.path.join(a.workdir, f"{key}.meta.json"), "w"), indent=1)
    return 0


def ours(a) -> int:
    from . import ours as o
    info = o.run(a.trainer, a.model, HORIZON, os.path.join(a.workdir, "series.jsonl"),
                 os.path.join(a.workdir, "ours.jsonl"), os.path.join(a.workdir, "ours.stderr"),
                 a.extra)
    json.dump(info, open(os.path.join(a.workdir, "ours.meta.json"), "w"), indent=1)
    print(f"ours: {' '.join(info['command'])}: exit {info['exit_code']}, wall {info['wall_seconds']:.2f} s, "
          f"CPU {info['cpu_seconds']:.2f} s", file=sys.stderr)
    return 0 if info["exit_code"] == 0 else 1


def score(a) -> int:
    from .score import score as run
    text, results = run(a.workdir, HORIZON, a.pm_n)
    with open(a.json_out, "w") as f:
        json.dump(results, f, indent=1)
    print(text)
    print(f"raw numbers (JSON): {a.json_out}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="bench_forecast")
    sp = p.add_subparsers(dest="step", required=True)
    sp.add_parser("check-deps").set_defaults(fn=check_deps)
    g = sp.add_parser("generate")
    g.add_argument("--n", type=int, default=1000)
    g.add_argument("--seed", type=int, default=20240605)
    g.add_argument("--market-dir", default="data/market")
    g.set_defaults(fn=generate)
    sp.add_parser("statsforecast").set_defaults(fn=lambda a: _reference(a, "sf", "run_statsforecast"))
    pm = sp.add_parser("pmdarima")
    pm.add_argument("--pm-n", type=int, default=50)
    pm.set_defaults(fn=lambda a: _reference(a, "pm", "run_pmdarima", a.pm_n))
    sp.add_parser("naive").set_defaults(fn=lambda a: _reference(a, "naive", "run_naive"))
    o = sp.add_parser("ours")
    o.add_argument("--trainer", required=True)
    o.add_argument("--model", default="arima")
    o.add_argument("extra", nargs="*", help="extra arguments for `Trainer forecast`, after --")
    o.set_defaults(fn=ours)
    s = sp.add_parser("score")
    s.add_argument("--pm-n", type=int, default=50)
    s.add_argument("--json-out", required=True)
    s.set_defaults(fn=score)
    for sub in sp.choices.values():
        sub.add_argument("--workdir", default="/tmp/bench-forecast")
    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
