"""Runs our `Trainer forecast` once over the whole series file and times the process.

Contract (docs: DESIGN.md "Trainer CLI"): `Trainer forecast --model NAME --horizon H FILE`,
FILE is JSONL `{"id", "y", "horizon"}` per line; stdout is JSONL, one line per series,
`{"id", "model", "mean", "lo80", "hi80", "lo95", "hi95", "spec", "seconds"}`, or an
`"error"` field instead of `mean`. We record the wall time of the whole process (start-up,
parsing and output included) and the CPU time it used (user + system, all threads), so a
multi-threaded run is visible as CPU > wall.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time


def run(trainer: str, model: str, horizon: int, input_path: str, out_path: str,
        err_path: str, extra_args: list[str] | None = None) -> dict:
    cmd = [trainer, "forecast", "--model", model, "--horizon", str(horizon), *(extra_args or []),
           input_path]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        rc = subprocess.call(cmd, stdout=out, stderr=err)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    info = {"command": cmd, "exit_code": rc, "wall_seconds": wall, "cpu_seconds": cpu,
            "max_rss_kb": after.ru_maxrss, "nproc": os.cpu_count()}
    if rc != 0:
        with open(err_path) as f:
            tail = f.read()[-2000:]
        sys.stderr.write(f"ours: {' '.join(cmd)} exited with {rc}; stderr tail:\n{tail}\n")
    return info
