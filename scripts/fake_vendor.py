#!/usr/bin/env python3
"""A stand-in for Finnhub and Alpha Vantage for scripts/bench-vendor.sh: answers in each
vendor's documented format (the shapes of Tests/Fixtures/vendors) for any symbol, and counts
the calls it gets, so the bench can hold what arrived to the configured outbound limits.

  python3 scripts/fake_vendor.py PORT

Finnhub under /api/v1: /quote answers a quote made up from the symbol (prices are not real;
the bench measures traffic, not prices); /stock/candle answers 403, as Finnhub does for free
keys. Alpha Vantage under /query: GLOBAL_QUOTE answers a quote, everything else the
daily-limit `Information` note. GET /__stats answers
{"finnhub": {"calls", "max_per_second", "max_per_minute"}, "alphavantage": {...}}, the maxima
over sliding windows of arrival times.
"""
import bisect
import json
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

arrivals = {"finnhub": [], "alphavantage": []}
lock = threading.Lock()


def busiest_window(times, seconds):
    """The most arrivals within any window of `seconds` (times are sorted)."""
    return max((bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times)), default=0)


def price(symbol):
    return 20 + zlib.crc32(symbol.encode()) % 50000 / 100


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/__stats":
            with lock:
                stats = {name: {"calls": len(times), "max_per_second": busiest_window(sorted(times), 1.0),
                                "max_per_minute": busiest_window(sorted(times), 60.0)}
                         for name, times in arrivals.items()}
            return self.answer(200, stats)
        vendor = "finnhub" if url.path.startswith("/api/v1/") else "alphavantage"
        with lock:
            arrivals[vendor].append(time.monotonic())
        symbol = query.get("symbol", "")
        if vendor == "finnhub":
            if url.path == "/api/v1/quote" and symbol:
                close = price(symbol)
                return self.answer(200, {"c": close, "d": 0.5, "dp": 0.5 / (close - 0.5) * 100, "h": close + 1,
                                         "l": close - 1, "o": close - 0.2, "pc": close - 0.5, "t": int(time.time())})
            return self.answer(403, {"error": "You don't have access to this resource."})
        if query.get("function") == "GLOBAL_QUOTE" and symbol:
            close = price(symbol)
            return self.answer(200, {"Global Quote": {
                "01. symbol": symbol, "02. open": f"{close - 0.2:.4f}", "03. high": f"{close + 1:.4f}",
                "04. low": f"{close - 1:.4f}", "05. price": f"{close:.4f}", "06. volume": "1000000",
                "07. latest trading day": time.strftime("%Y-%m-%d"), "08. previous close": f"{close - 0.5:.4f}",
                "09. change": "0.5000", "10. change percent": f"{0.5 / (close - 0.5) * 100:.4f}%"}})
        return self.answer(200, {"Information": "We have detected your API key as BENCH and our standard API rate limit "
                                                "is 25 requests per day. Please subscribe to any of the premium plans."})


if __name__ == "__main__":
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
