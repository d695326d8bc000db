#!/usr/bin/env python3
"""e6data-bluegreen as users run it: up (detached), status --json, switch --wait, suspend,
resume, restart, down; then no process of the cluster is left. Also: --version and usage errors
(exit 2), a busy port failing `up` at once, a controller killed with SIGKILL (stale runtime
directory reported and cleaned, a new `up` and `down` work), the retired side shown as retired,
the fault options of `switch`, and both router answer forms on the wire (curl, HTTP/2).
Whatever happens, every cluster is brought down at the end.

Usage: bluegreen_cli_test.py E6DATA_BLUEGREEN
"""
import json
import os
import shutil
import signal
import socket
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


def curl_headers(endpoint, strategy):
    """The response headers of one gRPC-shaped POST through the router, or None without curl."""
    if not shutil.which("curl"):
        return None
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "--http2-prior-knowledge",
                          "-X", "POST", "-H", "content-type: application/grpc", "-H",
                          "te: trailers", "-H", f"strategy: {strategy}",
                          f"http://{endpoint}/QueryEngineService/authenticate",
                          "--data-binary", ""], capture_output=True, text=True, timeout=30)
    return out.stdout.lower()


def alive(pid):
    try:
        return "zombie" not in open(f"/proc/{pid}/status").read()
    except OSError:
        return False


def tools(binary):
    """Usage, version, busy port, SIGKILL, http answer form: each on its own runtime dir."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and out.stdout.startswith("e6data-bluegreen "),
          f"--version: {out.returncode} {out.stdout} {out.stderr}")
    out = subprocess.run([binary, "frobnicate"], capture_output=True, text=True, timeout=30)
    check(out.returncode == 2 and "unknown subcommand 'frobnicate'" in out.stderr,
          f"unknown subcommand: {out.returncode} {out.stderr}")
    for args in ([], ["switch", "--flaky-router", "0.5"], ["up", "--router-answers", "html"],
                 ["status", "--bogus"]):
        out = subprocess.run([binary, *args], capture_output=True, text=True, timeout=30)
        check(out.returncode == 2, f"usage error {args} exits 2: {out.returncode} {out.stderr}")

    with tempfile.TemporaryDirectory(prefix="e6data-bluegreen-tools-") as d:
        def run(*args, timeout=300):
            return subprocess.run([binary, *args, "--runtime-dir", d], capture_output=True,
                                  text=True, timeout=timeout)

        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        t0 = time.monotonic()
        up = run("up", "--port", str(busy.getsockname()[1]))
        busy.close()
        check(up.returncode == 1 and "in use" in up.stderr and time.monotonic() - t0 < 20,
              f"up on a busy port fails at once with the reason: {up.returncode} "
              f"{time.monotonic() - t0:.1f} s {up.stderr[-300:]}")

        pids = []
        try:
            up = run("up", "--port", "0", "--router-answers", "http")
            check(up.returncode == 0, f"up --router-answers http: {up.stderr}")
            s = json.loads(run("status", "--json").stdout or "null")
            check(s is not None and s["router_answers"] == "http", f"status shows http: {s}")
            if s:
                pids = [dep["pid"] for dep in s["deployments"]] + [s["router_pid"]]
                controller = int(open(os.path.join(d, "controller.pid")).read())
                endpoint = s["endpoint"]
                h = curl_headers(endpoint, "green")
                if h is not None:
                    check(h.startswith("http/2 456") and "grpc-status" not in h,
                          f"http form: a bare 456: {h}")
                run("suspend")
                h = curl_headers(endpoint, "blue")
                if h is not None:
                    check(h.startswith("http/2 503") and "text/html" not in h,
                          f"http form: a bare 503, not text/html: {h}")
                # The controller dies without cleaning up: its children die with it.
                os.kill(controller, signal.SIGKILL)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and any(alive(p) for p in pids + [controller]):
                    time.sleep(0.1)
                check(not any(alive(p) for p in pids), "children die with a killed controller")
                st = run("status")
                check(st.returncode == 1 and "stale" in st.stderr,
                      f"status reports the stale runtime directory: {st.stderr}")
                again = run("up", "--port", "0")
                check(again.returncode == 0 and again.stdout.strip() != endpoint,
                      f"a new up after SIGKILL starts a new cluster: {again.stdout} "
                      f"{again.stderr}")
                s2 = json.loads(run("status", "--json").stdout or "null")
                check(s2 is not None and s2["endpoint"] == again.stdout.strip(),
                      f"status shows the new cluster: {s2}")
                if s2:
                    pids = [dep["pid"] for dep in s2["deployments"]] + [s2["router_pid"]]
                    pids.append(int(open(os.path.join(d, "controller.pid")).read()))
        finally:
            down = run("down")
        check(down.returncode == 0 and "is down" in down.stdout,
              f"down stops the cluster that runs: {down.stdout} {down.stderr}")
        check(pids != [] and not any(alive(p) for p in pids), "nothing left after down")


def main():
    binary = sys.argv[1]
    tools(binary)
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
            h = curl_headers(s["endpoint"], "green") if s else None
            if h is not None:
                check(h.startswith("http/2 204") and "content-type: application/grpc" in h and
                      "grpc-status: 2\n" in h and "grpc-message: status: 456\n" in h,
                      f"gateway form on the wire: {h}")
            sw = run("switch", "--wait", "--json")
            check(sw.returncode == 0 and json.loads(sw.stdout)["active"] == "green",
                  f"switch --wait ends on green: {sw.stdout} {sw.stderr}")
            s = status()
            roles = {dep["name"]: dep for dep in s["deployments"]} if s else {}
            check(roles and roles["blue"]["role"] == "retired" and
                  roles["blue"]["draining_toward"] == "" and roles["green"]["role"] == "active",
                  f"the retired side shows as retired, not draining: {s}")
            text = run("status").stdout
            check("blue (retired)" in text and "draining" not in text, f"status text: {text}")
            # Fault options: announce 800 ms before the router accepts blue.
            sw = run("switch", "--announce-lead", "800", "--json")
            s = json.loads(sw.stdout) if sw.returncode == 0 else None
            check(s is not None and s["phase"] == "SWITCHING" and
                  not s["router_accepts_pending"],
                  f"switch --announce-lead: the router does not accept blue yet: {sw.stdout} "
                  f"{sw.stderr}")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (status() or {}).get("active") != "blue":
                time.sleep(0.1)
            check((status() or {}).get("phase") == "STABLE", "the lead ends and blue takes over")
            sw = run("switch", "--flaky-router", "0.5", "--flaky-window", "300", "--wait",
                     "--json")
            check(sw.returncode == 0 and json.loads(sw.stdout)["active"] == "green",
                  f"switch --flaky-router ... --wait: {sw.stdout} {sw.stderr}")
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
