"""Forecasting benchmark: our `Trainer forecast` against statsforecast and pmdarima.

Run it through `scripts/bench-forecast.sh`; the pieces are
`python3 -m bench_forecast {generate,statsforecast,pmdarima,naive,ours,score}` with
`scripts/` on PYTHONPATH. Every step reads and writes files in one work directory, so a
step can be re-run alone (e.g. only `ours` + `score` after a change to the Swift side).
"""
