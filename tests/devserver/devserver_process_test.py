#!/usr/bin/env python3
"""e6data-devserver as a process: --port-file once ready, SIGTERM stops it cleanly and removes
the demo database, bad flags are refused with a message and exit code 2, --version, a port in
use (even by another dev server) is refused. Every server started here is stopped.

Usage: devserver_process_test.py E6DATA_DEVSERVER
"""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


def wait_for_file(path, proc, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path) and open(path).read().strip():
            return int(open(path).read())
        if proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def start(binary, args, scratch):
    port_file = os.path.join(scratch, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    proc = subprocess.Popen([binary, "--port", "0", "--port-file", port_file, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc, wait_for_file(port_file, proc)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="e6data-devserver-test-") as scratch:
        data = os.path.join(scratch, "data")
        proc, port = start(binary, ["--data-dir", data, "--admin-port-file",
                                    os.path.join(scratch, "admin")], scratch)
        try:
            check(port is not None, "the port file appears once the server is ready")
            if port:
                with socket.create_connection(("127.0.0.1", port), timeout=5):
                    check(True, "the server accepts connections on the port it wrote")
                check(os.listdir(data) != [], "the demo database exists while serving")
        finally:
            code = stop(proc)
        output = proc.stdout.read().decode(errors="replace")
        check(code == 0, f"SIGTERM exits 0 (got {code}): {output[-500:]}")
        check("stopped" in output, "the server logs that it stopped")
        check(not os.path.exists(data) or os.listdir(data) == [],
              "the demo database is removed on exit")

        # The user's own SQLite file.
        db = os.path.join(scratch, "mine.db")
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE t(id BIGINT, name TEXT)")
        conn.execute("INSERT INTO t VALUES (1, 'one')")
        conn.commit()
        conn.close()
        proc, port = start(binary, ["--db", db], scratch)
        try:
            check(port is not None, "serves a user's SQLite file")
        finally:
            check(stop(proc) == 0, "stops cleanly when serving a user's file")
        check(os.path.exists(db), "a user's database file is never removed")

        for bad, why in [(["--deployment", "purple"], "deployment"),
                         (["--db", os.path.join(scratch, "missing.db")], "missing.db"),
                         (["--scale", "0"], "scale"),
                         (["--fetch-latency-ms", "-1"], "fetch-latency-ms")]:
            out = subprocess.run([binary, *bad], capture_output=True, timeout=60)
            text = (out.stdout + out.stderr).decode(errors="replace")
            check(out.returncode == 2 and why in text,
                  f"refuses {bad} naming it, exit 2: {out.returncode} {text[:200]}")
        out = subprocess.run([binary, "--no-such-flag"], capture_output=True, timeout=60)
        check(out.returncode == 2, f"an unknown flag is a usage error, exit 2: {out.returncode}")
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
        check(out.returncode == 0 and out.stdout.startswith("e6data-devserver "),
              f"--version: {out.returncode} {out.stdout}")

        # A port in use is refused, also when a dev server holds it (gRPC's SO_REUSEPORT would
        # otherwise let both listen and split the connections).
        first, port = start(binary, ["--db", db, "--admin-port-file",
                                     os.path.join(scratch, "admin")], scratch)
        try:
            check(port is not None, "a first server for the port test")
            if port:
                t0 = time.monotonic()
                out = subprocess.run([binary, "--db", db, "--port", str(port)],
                                     capture_output=True, text=True, timeout=60)
                check(out.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in out.stderr,
                      f"a second server on the same port is refused: {out.returncode} "
                      f"{out.stderr[-300:]}")
                check(time.monotonic() - t0 < 30, "refused at once")
                with socket.create_connection(("127.0.0.1", port), timeout=5):
                    check(first.poll() is None, "the first server keeps serving")
        finally:
            check(stop(first) == 0, "the first server stops cleanly")

        not_db = os.path.join(scratch, "not.db")
        open(not_db, "w").write("this is not a database")
        out = subprocess.run([binary, "--db", not_db, "--port", "0"], capture_output=True,
                             timeout=60)
        check(out.returncode == 1 and b"not a" in out.stderr,
              f"refuses a file that is not SQLite: {out.stderr[:200]}")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
