"""Scoring: MASE at h = 1, 2, 5, per-series time, speed ratios, Markdown tables, JSON.

MASE for one series at horizon h = |y[T+h] - forecast[h]| / scale, where scale is the mean
absolute one-step naive error over the 750 training points, mean(|y[t] - y[t-1]|). One origin
per series (the end of its 750 points), so "mean MASE at h" is the mean over series of that
one error. MASE is compared on the series where every method in the table produced a finite
forecast of the right length (the count is in the table); failures are counted, not dropped
silently.
"""

from __future__ import annotations

import json
import math
import os
import statistics

import numpy as np

HS = (1, 2, 5)
NAMES = {"ours": "ours (Trainer)", "sf": "statsforecast AutoARIMA", "pm": "pmdarima auto_arima",
         "naive": "naive (last value)"}


def read_jsonl(path: str) -> list[dict]:
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def load_method(path: str, horizon: int) -> dict:
    """id -> record; records get `ok` (finite mean of the right length) and `why`."""
    recs, bad_lines, dups = {}, 0, 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
                rid = r["id"]
            except (ValueError, KeyError, TypeError):
                bad_lines += 1
                continue
            if rid in recs:
                dups += 1
            mean = r.get("mean")
            if "error" in r and mean is None:
                r["ok"], r["why"] = False, "error: " + str(r["error"])[:200]
            elif not isinstance(mean, list) or len(mean) < horizon:
                r["ok"], r["why"] = False, "mean missing or shorter than the horizon"
            elif not all(isinstance(x, (int, float)) and math.isfinite(x) for x in mean[:horizon]):
                r["ok"], r["why"] = False, "non-finite mean"
            else:
                r["ok"], r["why"] = True, ""
            recs[rid] = r
    return {"recs": recs, "bad_lines": bad_lines, "duplicates": dups}


def _pct(a: float, b: float) -> float:
    return 100.0 * (a / b - 1.0) if b else float("nan")


def _ms(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    s = x * 1000
    return f"{s:.3g} ms" if s < 100 else f"{s:,.0f} ms"


def _f(x, d=3) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.{d}f}"


def _ratio(x) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:,.1f}x"


def mase_table(ids, truth, scale, methods: dict) -> dict:
    """Per-method mean MASE at HS over the ids every method forecast."""
    # A method with no forecast at all (e.g. our CLI failed to start) is left out of the
    # intersection so the others still get scored; its row then shows only the failures.
    live = [m for m in methods.values() if any(r.get("ok") for r in m["recs"].values())]
    common = [i for i in ids if scale[i] > 0 and all(m["recs"].get(i, {}).get("ok") for m in live)]
    res = {"n_common": len(common), "by_method": {}}
    for key, m in methods.items():
        if not any(m is x for x in live):
            res["by_method"][key] = {"mase": {h: float("nan") for h in HS},
                                     "mase_median": {h: float("nan") for h in HS},
                                     "coverage": {80: None, 95: None},
                                     "n_failed": sum(1 for i in ids if not m["recs"].get(i, {}).get("ok"))}
            continue
        errs = {h: np.array([abs(truth[i]["future"][h - 1] - m["recs"][i]["mean"][h - 1]) / scale[i]
                             for i in common]) for h in HS}
        cover = {}
        for lv in (80, 95):
            hit = []
            for i in common:
                r = m["recs"][i]
                lo, hi = r.get(f"lo{lv}"), r.get(f"hi{lv}")
                if isinstance(lo, list) and isinstance(hi, list) and len(lo) >= max(HS) and len(hi) >= max(HS):
                    for h in HS:
                        y = truth[i]["future"][h - 1]
                        hit.append(lo[h - 1] <= y <= hi[h - 1])
            cover[lv] = float(np.mean(hit)) if hit else None
        res["by_method"][key] = {
            "mase": {h: float(errs[h].mean()) if len(common) else float("nan") for h in HS},
            "mase_median": {h: float(np.median(errs[h])) if len(common) else float("nan") for h in HS},
            "coverage": cover,
            "n_failed": sum(1 for i in ids if not m["recs"].get(i, {}).get("ok")),
        }
    return res


def times(ids, m) -> dict:
    s = [m["recs"][i]["seconds"] for i in ids if i in m["recs"] and isinstance(m["recs"][i].get("seconds"), (int, float))]
    if not s:
        return {"n": 0, "mean": None, "median": None, "sum": None}
    return {"n": len(s), "mean": statistics.fmean(s), "median": statistics.median(s), "sum": math.fsum(s)}


def score(workdir: str, horizon: int, pm_n: int) -> tuple[str, dict]:
    series = read_jsonl(os.path.join(workdir, "truth.jsonl"))
    ids = [s["id"] for s in series]
    truth = {s["id"]: s for s in series}
    scale = {s["id"]: float(np.mean(np.abs(np.diff(np.asarray(s["y"], dtype=float))))) for s in series}
    kinds = sorted({s["kind"] for s in series})
    meta = {}
    methods = {}
    for key in ("ours", "sf", "pm", "naive"):
        p = os.path.join(workdir, f"{key}.jsonl")
        if os.path.exists(p):
            methods[key] = load_method(p, horizon)
            mp = os.path.join(workdir, f"{key}.meta.json")
            meta[key] = json.load(open(mp)) if os.path.exists(mp) else {}
    N = len(ids)
    sub = ids[:pm_n] if "pm" in methods else []
    sub = [i for i in sub if i in methods["pm"]["recs"]] if sub else []

    # Per-series time for ours: the whole process wall time / N is the headline (it includes
    # start-up, parsing, output and any parallelism); the reported per-series `seconds` too.
    ours_wall = meta.get("ours", {}).get("wall_seconds")
    ours_cpu = meta.get("ours", {}).get("cpu_seconds")
    t_all = {k: times(ids, m) for k, m in methods.items()}
    t_sub = {k: times(sub, m) for k, m in methods.items()}
    ours_pp = ours_wall / N if ours_wall is not None and "ours" in methods else None

    full_methods = {k: methods[k] for k in ("ours", "sf", "naive") if k in methods}
    full = mase_table(ids, truth, scale, full_methods)
    subm = {k: methods[k] for k in ("ours", "sf", "pm", "naive") if k in methods}
    subset = mase_table(sub, truth, scale, subm) if sub else None
    by_kind = {kind: mase_table([i for i in ids if truth[i]["kind"] == kind], truth, scale, full_methods)
               for kind in kinds}

    def headline_time(key, scope):
        if key == "ours":
            return ours_pp
        return (t_all if scope == "all" else t_sub)[key]["mean"]

    L = []
    L.append(f"## Forecast benchmark: {N} series × 750 points, h = 1..{horizon}, one origin each\n")
    L.append("Timings are wall clock on a shared, noisy machine "
             f"({os.cpu_count()} cores shared with other jobs); references run one series at a time, "
             "single process, after an untimed warm-up fit. MASE scale: in-sample mean |Δy| over the "
             "750 training points. References forecast raw prices (their default); our CLI picks its "
             "own scale (see `spec`).\n")

    def table(title, res, keys, scope, n_ids):
        L.append(f"### {title}\n")
        L.append(f"MASE on the {res['n_common']} of {n_ids} series every method below forecast.\n")
        L.append("| method | failed | time/series mean | time/series median | MASE h=1 | MASE h=2 | MASE h=5 | "
                 "ΔMASE vs statsforecast h=1 / 2 / 5 | time ratio vs ours |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        sf = res["by_method"].get("sf")
        for k in keys:
            if k not in res["by_method"]:
                continue
            b = res["by_method"][k]
            tt = (t_all if scope == "all" else t_sub)[k]
            mean_t = headline_time(k, scope)
            d = " / ".join(f"{_pct(b['mase'][h], sf['mase'][h]):+.1f}%" for h in HS) if sf and k != "sf" else "—"
            d = "—" if "nan" in d else d
            ratio = (mean_t / ours_pp) if (ours_pp and mean_t and k not in ("ours", "naive")) else None
            L.append(f"| {NAMES[k]} | {b['n_failed']} | {_ms(mean_t)} | {_ms(tt['median'])} | "
                     f"{_f(b['mase'][1])} | {_f(b['mase'][2])} | {_f(b['mase'][5])} | {d} | "
                     f"{_ratio(ratio) if ratio else '—'} |")
        L.append("")

    table(f"All {N} series", full, ["ours", "sf", "naive"], "all", N)
    if "ours" in methods:
        m = meta.get("ours", {})
        L.append(f"ours: one `Trainer forecast` process over all {N} series: wall {m.get('wall_seconds', float('nan')):.2f} s "
                 f"(= {_ms(ours_pp)} per series, the 'mean' above), CPU {m.get('cpu_seconds', float('nan')):.2f} s "
                 f"({_ms(ours_cpu / N if ours_cpu is not None else None)} per series), exit code {m.get('exit_code')}; "
                 f"sum of reported per-series `seconds` {_f(t_all['ours']['sum'] or float('nan'), 2)} s over "
                 f"{t_all['ours']['n']} lines (mean {_ms(t_all['ours']['mean'])}, median {_ms(t_all['ours']['median'])}, "
                 "the 'median' above). "
                 f"Unparseable lines: {methods['ours']['bad_lines']}, duplicate ids: {methods['ours']['duplicates']}, "
                 f"ids missing: {sum(1 for i in ids if i not in methods['ours']['recs'])}.\n")
    if subset:
        table(f"pmdarima subset: the first {len(sub)} series (a seeded shuffle, so a representative mix)",
              subset, ["ours", "sf", "pm", "naive"], "subset", len(sub))
        L.append(f"pmdarima's per-series time is measured on these {len(sub)} series only; statsforecast's "
                 "and the reported `seconds` of ours in this table are on the same series. The time ratio "
                 "uses our whole-process wall time per series over all series.\n")

    L.append("### Mean MASE over h = 1, 2, 5 by kind of series\n")
    hdr = [k for k in ("ours", "sf", "naive") if k in methods]
    L.append("| kind | series | " + " | ".join(NAMES[k] for k in hdr) + " |")
    L.append("|---|---:|" + "---:|" * len(hdr))
    for kind in kinds:
        r = by_kind[kind]
        cells = [_f(statistics.fmean(r["by_method"][k]["mase"][h] for h in HS)) if r["n_common"] else "—" for k in hdr]
        L.append(f"| {kind} | {r['n_common']} | " + " | ".join(cells) + " |")
    L.append("")
    L.append("### Interval coverage at h = 1, 2, 5 pooled (nominal 80% / 95%)\n")
    L.append("| method | scope | 80% | 95% |")
    L.append("|---|---|---:|---:|")
    for scope, res in (("all", full), ("pmdarima subset", subset)):
        if not res:
            continue
        for k, b in res["by_method"].items():
            c = b["coverage"]
            L.append(f"| {NAMES[k]} | {scope} | {_f(c[80], 3) if c[80] is not None else '—'} | "
                     f"{_f(c[95], 3) if c[95] is not None else '—'} |")
    L.append("")

    verdict = {}
    ours_rc = meta.get("ours", {}).get("exit_code")
    ours_failed = full["by_method"]["ours"]["n_failed"] if "ours" in full["by_method"] else None
    if "ours" in methods and (ours_rc != 0 or ours_failed == N):
        L.append("### Issue 5 targets\n")
        L.append(f"- not evaluated: our Trainer exited with {ours_rc} and forecast "
                 f"{N - (ours_failed or 0)} of {N} series (see ours.stderr in the work directory)")
        L.append("")
        verdict["not_evaluated"] = {"exit_code": ours_rc, "failed": ours_failed}
    elif "ours" in methods and "sf" in methods and ours_pp:
        sf_ratio = t_all["sf"]["mean"] / ours_pp
        d = {h: _pct(full["by_method"]["ours"]["mase"][h], full["by_method"]["sf"]["mase"][h]) for h in HS}
        verdict["speed_vs_statsforecast"] = {"ratio": sf_ratio, "target": 10, "pass": sf_ratio >= 10}
        verdict["mase_vs_statsforecast_pct"] = {"by_h": d, "target": "<= +2% at each h", "pass": all(v <= 2 for v in d.values())}
        if subset and t_sub.get("pm", {}).get("mean"):
            pm_ratio = t_sub["pm"]["mean"] / ours_pp
            verdict["speed_vs_pmdarima"] = {"ratio": pm_ratio, "target": 100, "pass": pm_ratio >= 100}
        L.append("### Issue 5 targets (this run, this machine; timings noisy)\n")
        if ours_failed:
            L.append(f"- note: ours failed on {ours_failed} of {N} series; MASE is over the rest")
        L.append(f"- ≥ 10× faster than statsforecast AutoARIMA: {sf_ratio:,.1f}× — {'PASS' if sf_ratio >= 10 else 'FAIL'}")
        if "speed_vs_pmdarima" in verdict:
            v = verdict["speed_vs_pmdarima"]
            L.append(f"- ≥ 100× faster than pmdarima auto_arima: {v['ratio']:,.1f}× — {'PASS' if v['pass'] else 'FAIL'} "
                     f"(pmdarima timed on {len(sub)} series)")
        L.append("- mean MASE within +2% of statsforecast: " + ", ".join(f"h={h} {d[h]:+.2f}%" for h in HS)
                 + f" — {'PASS' if verdict['mase_vs_statsforecast_pct']['pass'] else 'FAIL'}")
        L.append("")

    per_series = []
    for i in ids:
        row = {"id": i, "kind": truth[i]["kind"], "source": truth[i]["source"], "scale": scale[i]}
        for k, m in methods.items():
            r = m["recs"].get(i)
            if r is None:
                row[k] = {"missing": True}
            elif not r["ok"]:
                row[k] = {"failed": r["why"], "seconds": r.get("seconds")}
            else:
                row[k] = {"mase": {h: abs(truth[i]["future"][h - 1] - r["mean"][h - 1]) / scale[i] for h in HS},
                          "seconds": r.get("seconds"), "spec": r.get("spec")}
        per_series.append(row)
    results = {
        "n_series": N, "horizon": horizon, "pm_subset": len(sub), "meta": meta,
        "times_all": t_all, "times_subset": t_sub, "ours_wall_per_series": ours_pp,
        "ours_cpu_per_series": (ours_cpu / N if ours_cpu is not None else None),
        "mase_all": full, "mase_subset": subset, "mase_by_kind": by_kind, "verdict": verdict,
        "per_series": per_series,
    }
    return "\n".join(L), results
