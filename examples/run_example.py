#!/usr/bin/env python3
"""Starts a dev server on a free port, runs one example with E6DATA_* pointing at it, stops the
server. Exits with the example's status. Usage: run_example.py E6DATA_DEVSERVER EXAMPLE"""
import os
import signal
import subprocess
import sys
import tempfile
import time


def main():
    devserver, example = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="e6data-example-") as scratch:
        port_file = os.path.join(scratch, "port")
        server = subprocess.Popen([devserver, "--port", "0", "--port-file", port_file,
                                   "--data-dir", scratch, "--log-level", "warning"])
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
            result = subprocess.run([example], env=env, timeout=120)
            return result.returncode
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    sys.exit(main())
