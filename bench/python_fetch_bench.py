#!/usr/bin/env python3
"""Python package vs the C++ path, in one run on one dev server (docs/performance.md).

Starts e6data-devserver with --scale 100 (about 1,000,000 line items) on loopback, then runs each
mode in a fresh interpreter (so each peak RSS is its own), best of --repeat runs:

  cpp         the C++ engine's next_batch() loop on the same query (no Python objects)
  fetchall    cursor.fetchall()
  fetchmany   cursor.fetchmany(10000) until empty
  fetchnumpy  cursor.fetchnumpy()
  fetch_df    cursor.fetch_df()
  short       200 x "SELECT 1" (execute + fetchall), p50 / p95 latency, Python and C++ paths

Usage: python_fetch_bench.py DEVSERVER PYTHONPATH [--repeat N] [--scale N]
"""
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SQL = "SELECT * FROM line_items"


def run_mode(mode, port):
    import e6data_cpp as db
    import numpy  # noqa: F401 - imported before the clock starts, as an application has them
    import pandas  # noqa: F401
    conn = db.connect(host="127.0.0.1", port=port, username="demo", password="demo")
    conn.authenticate()
    cur = conn.cursor()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    rows = 0
    extra = {}
    if mode == "cpp":
        rows, _ = conn._core._read_all_cpp(SQL)
    elif mode == "fetchall":
        cur.execute(SQL)
        rows = len(cur.fetchall())
    elif mode == "fetchmany":
        cur.execute(SQL)
        while True:
            chunk = cur.fetchmany(10000)
            if not chunk:
                break
            rows += len(chunk)
    elif mode == "fetchnumpy":
        cur.execute(SQL)
        arrays = cur.fetchnumpy()
        rows = len(next(iter(arrays.values())))
    elif mode == "fetch_df":
        cur.execute(SQL)
        rows = len(cur.fetch_df())
    elif mode in ("short", "short_cpp"):
        latencies = []
        for _ in range(200):
            t0 = time.perf_counter()
            if mode == "short":
                cur.execute("SELECT 1")
                assert cur.fetchall() == [(1,)]
            else:
                conn._core._read_all_cpp("SELECT 1")
            latencies.append(time.perf_counter() - t0)
        latencies.sort()
        extra = {"p50_ms": 1000 * statistics.median(latencies),
                 "p95_ms": 1000 * latencies[int(0.95 * len(latencies)) - 1]}
        rows = 200
    elapsed = time.perf_counter() - started
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    conn.close()
    print(json.dumps({"mode": mode, "rows": rows, "seconds": elapsed, "cpu_seconds": cpu,
                      "rows_per_s": rows / elapsed, "peak_rss_mib": usage1.ru_maxrss / 1024,
                      **extra}))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        run_mode(sys.argv[2], int(sys.argv[3]))
        return 0
    devserver, pythonpath = sys.argv[1:3]
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    scale = sys.argv[sys.argv.index("--scale") + 1] if "--scale" in sys.argv else "100"
    env = {k: v for k, v in os.environ.items() if not k.startswith("E6DATA_")}
    env["PYTHONPATH"] = pythonpath
    with tempfile.TemporaryDirectory(prefix="e6data-pybench-") as d:
        port_file = os.path.join(d, "port")
        server = subprocess.Popen([devserver, "--port", "0", "--port-file", port_file, "--scale",
                                   scale, "--data-dir", d], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 600
            while not (os.path.exists(port_file) and open(port_file).read().strip()):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the dev server did not start")
                time.sleep(0.1)
            port = open(port_file).read().strip()
            results = {}
            modes = ["cpp", "fetchall", "fetchmany", "fetchnumpy", "fetch_df", "short", "short_cpp"]
            for _ in range(repeat):  # interleaved, so drift affects every mode alike
                for mode in modes:
                    out = subprocess.run([sys.executable, __file__, "--child", mode, port],
                                         env=env, capture_output=True, text=True, check=True)
                    r = json.loads(out.stdout)
                    best = results.get(mode)
                    if best is None or r["seconds"] < best["seconds"]:
                        results[mode] = r
            base = results["cpp"]["rows_per_s"]
            print(f"{'mode':<11} {'rows':>9} {'rows/s':>11} {'x C++':>6} {'CPU s':>6} "
                  f"{'peak RSS MiB':>12} {'p50 ms':>7} {'p95 ms':>7}")
            for mode in modes:
                r = results[mode]
                ratio = r["rows_per_s"] / base if not mode.startswith("short") else float("nan")
                print(f"{mode:<11} {r['rows']:>9} {r['rows_per_s']:>11.0f} {ratio:>6.2f} "
                      f"{r['cpu_seconds']:>6.2f} {r['peak_rss_mib']:>12.0f} "
                      f"{r.get('p50_ms', float('nan')):>7.2f} {r.get('p95_ms', float('nan')):>7.2f}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
