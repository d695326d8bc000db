#!/usr/bin/env python3
"""e6data-cli test-connection, monitor and inspect against the blue-green cluster (nginx router, blue and
green dev servers) while it switches: test-connection --duration runs through 5 switches and
must report 100 % success with both deployments serving; monitor --jsonl must see every switch
announced and completed, and count them in its summary; inspect during a switch
(held open by a running query) reports the deployment that takes new work; Ctrl-C on that query
lets the switch complete; cluster status, suspend (--yes needed off a terminal) and resume
(--wait) through the router. The cluster is always brought down.

Usage: cli_bluegreen_test.py E6DATA_CLI E6DATA_BLUEGREEN E6DATA_DEVSERVER
"""
import json
import os
import re
import signal
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
        print(f"FAIL {what}", flush=True)


def main():
    cli, bluegreen, devserver = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="e6data-cli-bg-") as d:
        def cluster(*args, timeout=120):
            return subprocess.run([bluegreen, *args, "--runtime-dir", d], capture_output=True,
                                  text=True, timeout=timeout)

        up = cluster("up", "--port", "0", "--drain-timeout", "30", "--devserver", devserver,
                     timeout=300)
        try:
            check(up.returncode == 0, f"the cluster comes up: {up.stderr[-500:]}")
            if up.returncode == 0:
                run_tests(cli, cluster, up.stdout.strip())
        finally:
            down = cluster("down")
            check(down.returncode == 0, f"the cluster goes down: {down.stderr[-300:]}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


def run_tests(cli, cluster, endpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("E6DATA_")}
    env.update({"E6DATA_HOST": endpoint.rsplit(":", 1)[0], "E6DATA_PORT": endpoint.rsplit(":", 1)[1],
                "E6DATA_USERNAME": "demo", "E6DATA_PASSWORD": "demo"})

    # test-connection and monitor through five switches.
    monitor = subprocess.Popen([cli, "monitor", "--jsonl", "--interval", "0.1"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL)
    tester = subprocess.Popen([cli, "test-connection", "--duration", "600", "--interval", "0.05",
                               "--query", "select count(*) from customers"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        for i in range(5):
            # Each switch is announced 400 ms before the router takes the new side: the monitor
            # (a call every 0.1 s) sees the announcement of every switch, not only when its own
            # call happens to fall in the moment a drain with nothing to wait for lasts (a fast
            # machine saw none in 5 switches), and the tester rides through a lagging router.
            sw = cluster("switch", "--wait", "--announce-lead", "400")
            check(sw.returncode == 0, f"switch {i + 1}: {sw.stderr[-300:]}")
            time.sleep(0.5)
    finally:
        time.sleep(0.5)
        monitor.send_signal(signal.SIGINT)
        try:
            monitor_out, monitor_err = monitor.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            monitor.kill()
            monitor_out, monitor_err = monitor.communicate()
        tester.send_signal(signal.SIGINT)
        try:
            stdout, stderr = tester.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            tester.kill()
            stdout, stderr = tester.communicate()
    try:
        events = [json.loads(line) for line in monitor_out.splitlines()]
    except ValueError:
        events = []
    completed = [e for e in events if e.get("event") == "switch-completed"]
    announced = [e for e in events if e.get("event") == "switch-announced"]
    check(len(completed) == 5 and len(announced) >= 1,
          f"monitor sees every switch complete: {monitor_out[-1500:]} "
          f"{monitor_err[-300:]}")
    check(bool(events) and events[-1].get("summary") and events[-1].get("switches") == 5
          and len(events[-1].get("switch_seconds", [])) + events[-1].get("unannounced", 0) == 5,
          f"monitor's summary counts 5 switches with their durations: {events[-1:]}")
    check(monitor.returncode == 130, f"monitor exits 130 on Ctrl-C: {monitor.returncode}")
    actives = [e["active"] for e in completed]
    check(all(a != b for a, b in zip(actives, actives[1:])),
          f"each completed switch changes the active deployment: {actives}")
    m = re.search(r"(\d+) attempts: (\d+) succeeded, (\d+) failed \(100\.0 % success\)", stdout)
    check(m is not None and int(m.group(1)) > 20 and m.group(3) == "0",
          f"test-connection during 5 switches: 100 % success: {stdout[-800:]} {stderr[-300:]}")
    check(re.search(r"deployments: blue \d+ green \d+", stdout) is not None,
          f"both deployments served: {stdout[-200:]}")
    check(tester.returncode == 130, f"Ctrl-C after the summary exits 130: {tester.returncode}")
    check("FAILED" not in stdout, "no failed attempt line")

    # inspect during a switch held open by a query running on the active side.
    state = json.loads(cluster("status", "--json").stdout)
    active = next(name for name in ("blue", "green")
                  if state.get("deployments", {}).get(name, {}).get("role") == "active") \
        if isinstance(state.get("deployments"), dict) else None
    holder = subprocess.Popen([cli, "query", "-c",
                               "with recursive c(x) as (select 1 union all select x + 1 from c "
                               "where x < 2000000000) select sum(x) from c"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        sw = cluster("switch")
        check(sw.returncode == 0, f"a switch starts: {sw.stderr[-300:]}")
        status = cluster("status").stdout
        check("SWITCHING" in status, f"the running query holds the switch open: {status}")
        target = re.search(r"SWITCHING \((\w+) -> (\w+)\)", status)
        out = subprocess.run([cli, "inspect", "--json"], env=env, capture_output=True, text=True,
                             timeout=60)
        try:
            snapshot = json.loads(out.stdout)
        except ValueError:
            snapshot = {}
        check(target is not None and snapshot.get("active") == target.group(2),
              f"inspect during the switch names the deployment new work goes to: {status} "
              f"{out.stdout} {out.stderr}")
        if active is not None and target is not None:
            check(active == target.group(1), f"the switch leaves the side that was active")
    finally:
        holder.send_signal(signal.SIGINT)
        try:
            _, stderr = holder.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            holder.kill()
            _, stderr = holder.communicate()
    check(holder.returncode == 130 and "cancelled (query id" in stderr,
          f"Ctrl-C cancels the query holding the switch: {holder.returncode} {stderr}")
    deadline = time.monotonic() + 20
    status = ""
    while time.monotonic() < deadline:
        status = cluster("status").stdout
        if "STABLE" in status:
            break
        time.sleep(0.2)
    check("STABLE" in status, f"with the query cancelled, the switch completes: {status}")
    out = subprocess.run([cli, "inspect"], env=env, capture_output=True, text=True, timeout=60)
    check(out.returncode == 0 and target is not None and
          re.search(rf"active +\| {target.group(2)}", out.stdout) is not None,
          f"inspect after the switch: {out.stdout}")
    cluster_tests(cli, cluster, env)


def cluster_tests(cli, cluster, env):
    """cluster status|suspend|resume through the router's ClusterService."""
    def cli_run(*args, extra=None):
        return subprocess.run([cli, *args], env=dict(env, **(extra or {})), capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)

    out = cli_run("cluster", "status")
    check(out.returncode == 0 and out.stdout.strip().endswith(": active"),
          f"cluster status: {out.returncode} {out.stdout} {out.stderr}")
    out = cli_run("cluster", "suspend")
    check(out.returncode == 2 and "add --yes" in out.stderr, f"suspend asks for --yes: {out.stderr}")
    out = cli_run("cluster", "suspend", "--yes", "--json")
    try:
        suspended = json.loads(out.stdout)
    except ValueError:
        suspended = {}
    check(out.returncode == 0 and suspended.get("status") == "suspended",
          f"cluster suspend --yes: {out.stdout} {out.stderr}")
    out = cli_run("cluster", "status")
    check(out.returncode == 0 and out.stdout.strip().endswith(": suspended"),
          f"status of a suspended cluster: {out.stdout} {out.stderr}")
    check("SUSPENDED" in cluster("status").stdout.upper(), "the cluster says it is suspended")
    out = cli_run("query", "-c", "select 1", extra={"E6DATA_AUTO_RESUME": "false"})
    check(out.returncode == 1 and "cluster suspended" in out.stderr,
          f"a query without auto-resume fails with the kind named: {out.stderr}")
    out = cli_run("cluster", "resume")
    check(out.returncode == 0 and ": resuming" in out.stdout,
          f"resume without --wait returns at once, resuming: {out.stdout} {out.stderr}")
    out = cli_run("cluster", "resume", "--wait", "--wait-timeout", "60")
    check(out.returncode == 0 and ": active (waited" in out.stdout,
          f"resume --wait returns once active: {out.stdout} {out.stderr}")
    out = cli_run("cluster", "status", "--json")
    try:
        check(json.loads(out.stdout).get("status") == "active", f"active again: {out.stdout}")
    except ValueError:
        check(False, f"cluster status --json parses: {out.stdout!r}")
    out = cli_run("query", "-c", "select 7", extra={"E6DATA_AUTO_RESUME": "false"})
    check(out.returncode == 0 and out.stdout == "7\n7\n", f"queries run again: {out.stderr}")


if __name__ == "__main__":
    sys.exit(main())
