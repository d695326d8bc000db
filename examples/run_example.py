#!/usr/bin/env python3
"""Starts a dev server on a free port, runs one example with E6DATA_* pointing at it, stops the
server. Exits with the example's status, or 1 when a check fails.

Usage: run_example.py E6DATA_DEVSERVER EXAMPLE [--scale N] [--expect NAME=SQL]...
  --scale N        the dev server's demo dataset size (about 10,000 x N line items)
  --expect NAME=SQL  the example must print a line "NAME: VALUE" whose VALUE equals what SQL
                   returns when SQLite itself runs it on the dev server's database file (not
                   through the connector): integers exactly, other numbers within 1e-9 relative"""
import argparse
import glob
import math
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time


def check_expectations(output, expectations, scratch):
    """Compares the example's "NAME: VALUE" lines with SQLite's answers; returns the failures."""
    if not expectations:
        return []
    databases = glob.glob(os.path.join(scratch, "demo-*.db"))
    if len(databases) != 1:
        return ["expected one demo database in %s, found %s" % (scratch, databases)]
    printed = {}
    for line in output.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            printed[name.strip()] = value.strip()
    failures = []
    db = sqlite3.connect(databases[0])
    try:
        for expectation in expectations:
            name, _, sql = expectation.partition("=")
            expected = db.execute(sql).fetchone()[0]
            if name not in printed:
                failures.append("the example printed no line '%s: ...'" % name)
                continue
            try:
                got = float(printed[name])
            except ValueError:
                failures.append("%s: '%s' is not a number" % (name, printed[name]))
                continue
            if isinstance(expected, int):
                ok = got == expected
            else:
                ok = expected is not None and math.isclose(got, expected, rel_tol=1e-9)
            verdict = "ok" if ok else "MISMATCH"
            print("check %s: example %s, SQLite %r (%s) -- %s" % (name, printed[name], expected,
                                                               sql, verdict))
            if not ok:
                failures.append("%s: the example printed %s, SQLite says %r" %
                                (name, printed[name], expected))
    finally:
        db.close()
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("devserver")
    parser.add_argument("example")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--expect", action="append", default=[])
    args = parser.parse_args()
    devserver, example = args.devserver, args.example
    with tempfile.TemporaryDirectory(prefix="e6data-example-") as scratch:
        port_file = os.path.join(scratch, "port")
        server = subprocess.Popen([devserver, "--port", "0", "--port-file", port_file,
                                   "--data-dir", scratch, "--scale", str(args.scale),
                                   "--log-level", "warning"])
        try:
            deadline = time.monotonic() + 120
            while not (os.path.exists(port_file) and open(port_file).read().strip()):
                if server.poll() is not None or time.monotonic() > deadline:
                    print("the dev server did not start")
                    return 1
                time.sleep(0.05)
            env = dict(os.environ, E6DATA_HOST="127.0.0.1", E6DATA_PORT=open(port_file).read().strip(),
                       E6DATA_USERNAME="demo", E6DATA_PASSWORD="demo", E6DATA_CATALOG="sqlite",
                       E6DATA_DATABASE="main")
            result = subprocess.run([example], env=env, timeout=120, stdout=subprocess.PIPE,
                                    text=True)
            sys.stdout.write(result.stdout)
            sys.stdout.flush()
            if result.returncode != 0:
                return result.returncode
            failures = check_expectations(result.stdout, args.expect, scratch)
            for failure in failures:
                print("check failed: " + failure)
            return 1 if failures else 0
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    sys.exit(main())
