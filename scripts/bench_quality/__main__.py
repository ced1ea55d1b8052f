"""python3 -m bench_quality STEP --workdir DIR  (scripts/ on PYTHONPATH)

Steps: generate, statsforecast, prophet, ours, score. Each reads and writes files in DIR, so
`ours` + `score` can be re-run alone after a change on the Swift side.
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import json
import re
import statistics
import subprocess
import sys

from bench_forecast.score import load_method, read_jsonl

KINDS = ("weekly", "daily")
OURS = ("arima", "prophet", "ets", "drift", "naive", "ensemble")
REFS = {"statsforecast": "statsforecast AutoARIMA", "prophet": "prophet (PyPI)"}


def path(a, name: str) -> str:
    return os.path.join(a.workdir, name)


def generate(a) -> int:
    from . import series
    os.makedirs(a.workdir, exist_ok=True)
    for kind, n in (("weekly", a.weekly), ("daily", a.daily)):
        items = series.windows(kind, n, a.market_dir)
        with open(path(a, f"{kind}.truth.jsonl"), "w") as f:
            for it in items:
                f.write(json.dumps(it) + "\n")
        with open(path(a, f"{kind}.series.jsonl"), "w") as f:
            for it in items:
                rec = {"id": it["id"], "y": it["y"], "horizon": it["horizon"]}
                if a.season_length is not None:
                    rec["season_length"] = a.season_length
                f.write(json.dumps(rec) + "\n")
        print(f"{kind}: {len(items)} windows -> {path(a, kind + '.series.jsonl')}", file=sys.stderr)
    return 0


def reference(a, key: str) -> int:
    from . import references
    for kind in KINDS:
        items = read_jsonl(path(a, f"{kind}.truth.jsonl"))
        with open(path(a, f"{kind}.{key}.jsonl"), "w") as out:
            getattr(references, f"run_{key}")(items, out)
        print(f"{key}: {kind} done", file=sys.stderr)
    return 0


def ours(a) -> int:
    rc = 0
    for kind in KINDS:
        for model in a.models.split(","):
            cmd = [a.trainer, "forecast", "--model", model, "--horizon", "1", path(a, f"{kind}.series.jsonl")]
            with open(path(a, f"{kind}.ours-{model}.jsonl"), "w") as out:
                r = subprocess.call(cmd, stdout=out, stderr=subprocess.DEVNULL)
            if r != 0:
                print(f"ours: {' '.join(cmd)} exited {r}", file=sys.stderr)
                rc = 1
    return rc


def differencing(spec: str) -> str | None:
    m = re.search(r"ARIMA\((\d+),(\d+),(\d+)\)", spec or "")
    return m.group(2) if m else None


def score(a) -> int:
    report, lines = {}, []
    for kind in KINDS:
        truth = {t["id"]: t for t in read_jsonl(path(a, f"{kind}.truth.jsonl"))}
        H = next(iter(truth.values()))["horizon"]
        scale = {i: statistics.fmean(abs(t["y"][k] - t["y"][k - 1]) for k in range(1, len(t["y"]))) for i, t in truth.items()}
        methods = {}
        for m in OURS:
            p = path(a, f"{kind}.ours-{m}.jsonl")
            if os.path.exists(p):
                methods[f"ours {m}"] = load_method(p, H)["recs"]
        for key, label in REFS.items():
            p = path(a, f"{kind}.{key}.jsonl")
            if os.path.exists(p):
                methods[label] = load_method(p, H)["recs"]
        ids = [i for i in truth if all(i in r and r[i]["ok"] for r in methods.values())]
        cols = [h for h in (1, 4, H) if h <= H]
        lines.append(f"### {kind}: {len(ids)} of {len(truth)} windows, {len(truth[ids[0]]['y']) if ids else '?'} points, "
                     f"h = 1..{H}; MASE scaled by the in-sample naive MAE\n")
        short = min(4, H)
        lines.append(f"| method | mean MASE h=1..{H} | mean h=1..{short} | " + " | ".join(f"h={h}" for h in cols)
                     + " | by symbol (mean over h) | d=0 / d=1 / d=2 |")
        lines.append("|---|---:|---:|" + "---:|" * len(cols) + "---|---|")
        report[kind] = {}
        for name, recs in methods.items():
            err = {i: [abs(truth[i]["future"][h] - recs[i]["mean"][h]) / scale[i] for h in range(H)] for i in ids}
            mean_all = statistics.fmean(statistics.fmean(e) for e in err.values())
            mean_short = statistics.fmean(statistics.fmean(e[:short]) for e in err.values())
            at = {h: statistics.fmean(e[h - 1] for e in err.values()) for h in cols}
            by_sym = {s: statistics.fmean(statistics.fmean(err[i]) for i in ids if truth[i]["symbol"] == s)
                      for s in ("MSFT", "SPX", "IXIC") if any(truth[i]["symbol"] == s for i in ids)}
            ds = [differencing(recs[i].get("spec", "")) for i in ids]
            dcount = " / ".join(str(ds.count(str(d))) for d in range(3)) if any(ds) else ""
            lines.append(f"| {name} | {mean_all:.3f} | {mean_short:.3f} | " + " | ".join(f"{at[h]:.3f}" for h in cols) + " | "
                         + ", ".join(f"{s} {v:.3f}" for s, v in by_sym.items()) + f" | {dcount} |")
            report[kind][name] = {"mean": mean_all, "mean_short": mean_short, "at": at, "by_symbol": by_sym,
                                  "per_series": {i: {"mase": statistics.fmean(err[i]), "spec": recs[i].get("spec")} for i in ids}}
        lines.append("")
    print("\n".join(lines))
    with open(path(a, "results.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(f"per-series numbers: {path(a, 'results.json')}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="bench_quality")
    sp = p.add_subparsers(dest="step", required=True)
    g = sp.add_parser("generate")
    g.add_argument("--weekly", type=int, default=30, help="weekly windows per symbol")
    g.add_argument("--daily", type=int, default=10, help="daily windows per symbol")
    g.add_argument("--season-length", type=int, default=None, help="season_length on every JSONL line")
    g.add_argument("--market-dir", default="data/market")
    g.set_defaults(fn=generate)
    sp.add_parser("statsforecast").set_defaults(fn=lambda a: reference(a, "statsforecast"))
    sp.add_parser("prophet").set_defaults(fn=lambda a: reference(a, "prophet"))
    o = sp.add_parser("ours")
    o.add_argument("--trainer", required=True)
    o.add_argument("--models", default=",".join(OURS))
    o.set_defaults(fn=ours)
    sp.add_parser("score").set_defaults(fn=score)
    for sub in sp.choices.values():
        sub.add_argument("--workdir", default="/tmp/bench-quality")
    a = p.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
