#!/usr/bin/env python3
"""The whole system under mixed load while its parts fail (run by scripts/load-fault.sh, which
prepares the services, the release build and the environment).

Starts WebAPI, WORKERS Worker processes and `Trainer schedule`; sends cached reads, new
predictions, bring-your-own forecasts and logins from THREADS threads for DURATION seconds
(loopback only). Meanwhile, on a schedule: SIGKILLs a worker (restarted a second later, as a
PaaS would), restarts Redis (a clean shutdown, REDIS_DOWN seconds without it, then the same
port and data), and freezes the S3 server with SIGSTOP for S3_DOWN seconds. At the end it
waits for every accepted job and prints a table per route class, then the verdicts:

  * every accepted job ended `done`, or `failed` with a reason; none lost;
  * no 5xx, except 503s while Redis was down (and shortly after, while clients reconnect);
  * memory flat: WebAPI's RSS at the end within 10% of its RSS after the warm-up.

Exit 1 when a verdict fails.
"""
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

BIN = os.environ["BIN"]
PORT = int(os.environ["PORT"])
SERVICES = os.environ["STOCKHUB_SERVICES_DIR"]
DURATION = float(os.environ.get("DURATION", "180"))
THREADS = int(os.environ.get("THREADS", "16"))
WORKERS = int(os.environ.get("WORKERS", "3"))
REDIS_DOWN = float(os.environ.get("REDIS_DOWN", "8"))
S3_DOWN = float(os.environ.get("S3_DOWN", "15"))
WARMUP = 20.0
# 503s are expected while Redis is down and for this long after it is back (pools reconnect).
REDIS_GRACE = 10.0
SYMBOLS = ["MSFT", "AAPL", "GOOG", "IBM", "SPX", "IXIC"]
MARKET = os.path.join(os.getcwd(), "data", "market")

lock = threading.Lock()
samples = {}        # route class -> [(status, seconds, at)]
jobs = {}           # job id -> route class that accepted it
redis_outage = []   # (start, end) monotonic
events = []         # (at, text)
stop = threading.Event()
t0 = time.monotonic()


def log(text):
    at = time.monotonic() - t0
    events.append((at, text))
    print(f"[{at:6.1f}s] {text}", flush=True)


# ---------------------------------------------------------------- processes --

def start(name, args):
    out = open(os.path.join(SERVICES, f"{name}.log"), "ab")
    return subprocess.Popen([os.path.join(BIN, args[0])] + args[1:], stdout=out, stderr=subprocess.STDOUT)


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None


def redis_restart():
    port = open(os.path.join(SERVICES, "redis.port")).read().strip()
    password = open(os.path.join(SERVICES, "redis.password")).read().strip()
    env = dict(os.environ, REDISCLI_AUTH=password)
    begin = time.monotonic()
    subprocess.run(["redis-cli", "-p", port, "shutdown"], env=env, capture_output=True)
    log(f"redis: shut down (clean, AOF kept); down for {REDIS_DOWN:.0f}s")
    time.sleep(REDIS_DOWN)
    subprocess.run(["redis-server", os.path.join(SERVICES, "redis.conf")], capture_output=True, check=True)
    for _ in range(100):
        if subprocess.run(["redis-cli", "-p", port, "ping"], env=env, capture_output=True, text=True).stdout.strip() == "PONG":
            break
        time.sleep(0.1)
    redis_outage.append((begin, time.monotonic()))
    log("redis: back on the same port")


def s3_freeze():
    pid = int(open(os.path.join(SERVICES, "moto.pid")).read().strip())
    os.kill(pid, signal.SIGSTOP)
    log(f"s3: frozen (SIGSTOP) for {S3_DOWN:.0f}s")
    time.sleep(S3_DOWN)
    os.kill(pid, signal.SIGCONT)
    log("s3: running again (SIGCONT)")


# ------------------------------------------------------------------ clients --

def request(method, path, body=None, headers=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def timed(kind, method, path, body=None, headers=None):
    began = time.monotonic()
    try:
        status, data, _ = request(method, path, body, headers)
    except Exception as error:  # a refused or reset connection, a timeout
        status, data = f"error: {type(error).__name__}", b""
    elapsed = time.monotonic() - began
    with lock:
        samples.setdefault(kind, []).append((status, elapsed, began))
    if status == 202:
        job = json.loads(data)["job_id"]
        with lock:
            jobs.setdefault(job, kind)
    return status, data


def register(name):
    body = json.dumps({"username": name, "email": f"{name}@example.com", "password": "load test password 1"})
    status, data, _ = request("POST", "/api/auth/register", body, {"Content-Type": "application/json"})
    if status != 201:
        raise SystemExit(f"registering {name}: {status} {data[:200]!r}")
    return json.loads(data)["access_token"]


def closes(symbol):
    with open(os.path.join(MARKET, f"{symbol}.csv")) as csv:
        return [line.strip() for line in csv.readlines()[1:] if line.strip()]


def client(index, name, token, rows):
    auth = {"Authorization": f"Bearer {token}"}
    rng = random.Random(index)
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.60:
            path = rng.choice(["/api/stock/MSFT", "/api/timeseries/MSFT?range=1Y", "/api/stock/AAPL", "/api/timeseries/SPX?range=5Y"])
            timed("cached read", "GET", path, headers=auth)
        elif roll < 0.84:
            timed("prediction", "GET", f"/api/predictions/{rng.choice(SYMBOLS)}", headers=auth)
        elif roll < 0.98:
            # A distinct window of real closes: a new job every time (no dedup, no cache).
            start_row = rng.randrange(0, len(rows) - 300)
            csv = "date,close\n" + "\n".join(rows[start_row:start_row + 300]) + "\n"
            status, _ = timed("own series", "POST", f"/api/forecasts?name=w{start_row}", csv, {**auth, "Content-Type": "text/csv"})
            if status == 429:
                time.sleep(1)
        else:  # a bcrypt check each: a few, or they hold every thread on a busy machine
            body = json.dumps({"username": name, "password": "load test password 1"})
            timed("login", "POST", "/api/auth/login", body, {"Content-Type": "application/json"})
        time.sleep(rng.uniform(0.0, 0.05))


# --------------------------------------------------------------------- main --

def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def in_redis_outage(at):
    return any(begin <= at <= end + REDIS_GRACE for begin, end in redis_outage)


def main():
    web = start("web", ["WebAPI"])
    for _ in range(600):
        try:
            if request("GET", "/health", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    workers = [start(f"worker{i}", ["Worker"]) for i in range(WORKERS)]
    trainer = start("trainer", ["Trainer", "schedule"])
    log(f"started WebAPI, {WORKERS} workers and the trainer; {THREADS} client threads for {DURATION:.0f}s")

    names = [f"load{i}_{os.getpid()}" for i in range(THREADS)]
    tokens = [register(name) for name in names]
    rows = closes("MSFT")
    threads = [threading.Thread(target=client, args=(i, names[i], tokens[i], rows), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()

    time.sleep(WARMUP)
    rss_warm = rss_mib(web.pid)
    log(f"warm: WebAPI RSS {rss_warm:.1f} MiB")

    def kill_worker(number):
        victim = workers[number]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        log(f"worker{number}: SIGKILL (pid {victim.pid}); restarting in 1s")
        time.sleep(1)
        workers[number] = start(f"worker{number}", ["Worker"])

    schedule = [
        (0.20, lambda: kill_worker(0)),
        (0.35, redis_restart),
        (0.55, s3_freeze),
        (0.75, lambda: kill_worker(1)),
    ]
    for fraction, fault in schedule:
        delay = t0 + WARMUP + fraction * (DURATION - WARMUP) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        fault()
    remaining = t0 + DURATION - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    rss_end = rss_mib(web.pid)
    load_end = time.monotonic()
    log(f"load stopped: WebAPI RSS {rss_end:.1f} MiB; waiting for {len(jobs)} accepted jobs")

    # Every accepted job must end: done, or failed with a reason. Bounded wait.
    outcomes, deadline = {}, time.monotonic() + float(os.environ.get("JOB_WAIT", "600"))
    pending = set(jobs)
    while pending and time.monotonic() < deadline:
        for job in list(pending):
            try:
                status, data, _ = request("GET", f"/api/jobs/{job}")
            except OSError:
                continue
            if status == 404:
                outcomes[job] = ("lost", "the job is unknown")
                pending.discard(job)
            elif status == 200:
                record = json.loads(data)
                if record["status"] in ("done", "failed", "dead", "timeout"):
                    outcomes[job] = (record["status"], record.get("error") or "")
                    pending.discard(job)
        if pending:
            time.sleep(1)
    for job in pending:
        outcomes[job] = ("unfinished", f"still not ended {time.monotonic() - load_end:.0f}s after the load")
    log(f"jobs settled {time.monotonic() - load_end:.0f}s after the load")

    for process in [web, trainer] + workers:
        process.send_signal(signal.SIGTERM)
    for process in [web, trainer] + workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()

    # ------------------------------------------------------------------ report --
    print()
    print(f"{'route class':<14}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    load_seconds = load_end - t0
    unexpected = []
    for kind in ["cached read", "prediction", "own series", "login"]:
        answers = samples.get(kind, [])
        latencies = [elapsed for _, elapsed, _ in answers]
        counts = {}
        for status, _, at in answers:
            counts[status] = counts.get(status, 0) + 1
            server_error = not isinstance(status, int) or status >= 500
            if server_error and not (status == 503 and in_redis_outage(at)):
                unexpected.append((kind, status, at - t0))
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda item: str(item[0])))
        print(f"{kind:<14}{len(answers):>10}{len(answers) / load_seconds:>9.1f}{percentile(latencies, 0.5) * 1000:>9.1f}"
              f"{percentile(latencies, 0.99) * 1000:>9.1f}  {statuses}")
    print()
    ended = {}
    for status, _ in outcomes.values():
        ended[status] = ended.get(status, 0) + 1
    print(f"accepted jobs: {len(jobs)}; ended: " + ", ".join(f"{k} {v}" for k, v in sorted(ended.items())))
    reasons = {}
    for status, reason in outcomes.values():
        if status != "done":
            reasons[f"{status}: {reason[:140]}"] = reasons.get(f"{status}: {reason[:140]}", 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1])[:8]:
        print(f"  {count} x {reason}")
    print(f"WebAPI RSS: {rss_warm:.1f} MiB after warm-up, {rss_end:.1f} MiB at the end ({(rss_end / rss_warm - 1) * 100:+.1f}%)")
    print()

    verdicts = [
        ("every accepted job ended done, or failed with a reason; none lost",
         all(status == "done" or (status in ("failed", "dead", "timeout") and reason) for status, reason in outcomes.values())),
        ("no 5xx except 503 while Redis was down", not unexpected),
        ("WebAPI RSS at the end within 10% of after the warm-up", rss_end <= rss_warm * 1.10),
    ]
    for text, passed in verdicts:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    for kind, status, at in unexpected[:10]:
        print(f"      unexpected {status} on {kind} at {at:.1f}s")
    return 0 if all(passed for _, passed in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
