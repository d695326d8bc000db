#!/usr/bin/env python3
"""e6data-bluegreen as users run it: up (detached), status --json, switch --wait, suspend,
resume, restart, down; then no process of the cluster is left. Whatever happens, the cluster is
brought down at the end.

Usage: bluegreen_cli_test.py E6DATA_BLUEGREEN
"""
import json
import os
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


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="e6data-bluegreen-cli-") as d:
        def run(*args, timeout=300):
            return subprocess.run([binary, *args, "--runtime-dir", d], capture_output=True,
                                  text=True, timeout=timeout)

        def status():
            out = run("status", "--json")
            return json.loads(out.stdout) if out.returncode == 0 else None

        pids = []
        try:
            up = run("up", "--port", "0", "--resume-seconds", "1")
            check(up.returncode == 0 and up.stdout.startswith("127.0.0.1:"),
                  f"up prints the endpoint: {up.stdout} {up.stderr}")
            again = run("up", "--port", "0")
            check(again.returncode != 0 and "already running" in again.stderr,
                  "a second up in the same runtime directory is refused")
            s = status()
            check(s is not None and s["phase"] == "STABLE" and s["active"] == "blue",
                  f"status --json: {s}")
            if s:
                pids = [dep["pid"] for dep in s["deployments"]] + [s["router_pid"]]
                pids.append(int(open(os.path.join(d, "controller.pid")).read()))
                check(all(dep["reachable"] for dep in s["deployments"]), "deployments reachable")
            sw = run("switch", "--wait", "--json")
            check(sw.returncode == 0 and json.loads(sw.stdout)["active"] == "green",
                  f"switch --wait ends on green: {sw.stdout} {sw.stderr}")
            bad = run("restart", "--deployment", "green")
            check(bad.returncode != 0 and "serving" in bad.stderr,
                  "restarting the serving deployment is refused")
            restart = run("restart", "--deployment", "blue")
            check(restart.returncode == 0, f"restart of idle blue: {restart.stderr}")
            s = status()
            if s:
                pids += [dep["pid"] for dep in s["deployments"]]
            check(run("suspend").returncode == 0 and status()["cluster_status"] == "suspended",
                  "suspend")
            check(run("switch").returncode != 0, "no switch while suspended")
            check(run("resume").returncode == 0, "resume")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and status()["cluster_status"] != "active":
                time.sleep(0.1)
            check(status()["cluster_status"] == "active", "resume reaches active")
            check(run("reload").returncode == 0, "reload")
        finally:
            down = run("down")
        check(down.returncode == 0, f"down: {down.stdout} {down.stderr}")
        alive = [p for p in pids if os.path.exists(f"/proc/{p}") and
                 "zombie" not in open(f"/proc/{p}/status").read()]
        check(pids != [] and alive == [], f"no process left after down (alive: {alive})")
        check(run("status").returncode != 0, "status after down says no cluster is running")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
