"""Rebuilds the bundled daily closes from the datasets shipped inside three PyPI packages.

    pip download --no-deps arch==8.0.0 pmdarima==2.1.1 bokeh_sampledata==2026.1 -d /tmp/pkgs
    python3 data/market/regenerate.py /tmp/pkgs

Keeps the last 2,520 trading days (about ten years) of each series as `date,close`.
"""
import csv
import datetime
import glob
import gzip
import io
import sys
import tarfile
import zipfile

KEEP = 2520


def wheel(folder, name):
    return zipfile.ZipFile(glob.glob(f"{folder}/{name}-*.whl")[0])


def write(symbol, rows):
    rows = sorted(rows)[-KEEP:]
    with open(f"{symbol}.csv", "w", newline="") as out:
        out.write("date,close\n")
        for day, close in rows:
            out.write(f"{day},{close:.4f}\n")
    print(symbol, len(rows), rows[0][0], "…", rows[-1][0])


def from_arch(folder, member):
    text = gzip.decompress(wheel(folder, "arch").read(member)).decode()
    for row in csv.DictReader(io.StringIO(text)):
        day = datetime.datetime.strptime(row["Date"], "%m/%d/%Y").date().isoformat()
        yield day, float(row["Adj Close"])


def from_pmdarima(folder):
    archive = tarfile.open(fileobj=io.BytesIO(wheel(folder, "pmdarima").read("pmdarima/datasets/data/msft.tar.gz")))
    text = archive.extractfile("msft.csv").read().decode()
    for row in csv.DictReader(io.StringIO(text)):
        yield row["Date"], float(row["Close"])


def from_bokeh(folder, ticker):
    """Quandl WIKI prices (public domain) as bokeh_sampledata ships them: the adjusted close,
    so that splits inside the period (AAPL's 2:1 in 2005) are not price moves."""
    text = gzip.decompress(wheel(folder, "bokeh_sampledata").read("bokeh_sampledata/_data/stocks.csv.gz")).decode()
    for row in csv.DictReader(io.StringIO(text)):
        if row["Ticker"] == ticker:
            yield row["Date"], float(row["Adj Close"])


if __name__ == "__main__":
    folder = sys.argv[1]
    write("SPX", from_arch(folder, "arch/data/sp500/sp500.csv.gz"))
    write("IXIC", from_arch(folder, "arch/data/nasdaq/nasdaq.csv.gz"))
    write("MSFT", from_pmdarima(folder))
    for ticker in ("AAPL", "GOOG", "IBM"):
        write(ticker, from_bokeh(folder, ticker))
