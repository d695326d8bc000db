"""The zero-downtime engine from Python: threads run queries through 5 blue-green switches and an
idle suspend of a real e6data-bluegreen cluster (nginx + two dev servers) with zero failed
queries, and e6data's troubleshooting snippets run with only the import changed."""

import contextlib
import io
import os
import subprocess
import threading
import time

import pytest

import e6data_cpp as db
from conftest import child_env


@pytest.fixture(scope="module")
def cluster(scratch):
    binary = os.environ.get("E6DATA_BLUEGREEN")
    devserver = os.environ.get("E6DATA_DEVSERVER")
    if not binary or not devserver:
        pytest.fail("E6DATA_BLUEGREEN and E6DATA_DEVSERVER must be set (CTest sets them)")
    runtime = os.path.join(scratch, "bluegreen")

    def control(*args, timeout=180):
        return subprocess.run([binary, *args, "--runtime-dir", runtime], capture_output=True,
                              text=True, timeout=timeout, env=child_env())

    up = control("up", "--port", "0", "--drain-timeout", "30", "--resume-seconds", "1",
                 "--devserver", devserver, timeout=300)
    try:
        assert up.returncode == 0, up.stderr[-1500:]
        host, port = up.stdout.strip().rsplit(":", 1)
        yield control, host, int(port)
    finally:
        down = control("down")
        assert down.returncode == 0, down.stderr[-500:]


def test_threads_ride_through_switches_and_an_idle_suspend(cluster):
    control, host, port = cluster
    conn = db.connect(host=host, port=port, username="demo", password="demo")
    stop = threading.Event()
    paused = threading.Event()
    done = {"queries": 0, "rows": 0}
    failures = []
    lock = threading.Lock()

    def worker(i):
        cur = conn.cursor()
        while not stop.is_set():
            if paused.is_set():
                time.sleep(0.05)
                continue
            try:
                cur.execute("SELECT customer_id FROM customers WHERE customer_id %% 10 = %s "
                            "ORDER BY customer_id", (i % 10,))
                rows = cur.fetchall()
                assert rows and all(r[0] % 10 == i % 10 for r in rows)
                with lock:
                    done["queries"] += 1
                    done["rows"] += len(rows)
            except Exception as e:  # every failure is a test failure, collected
                failures.append(repr(e))
        cur.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        actives = []
        for _ in range(5):
            switch = control("switch", "--wait")
            assert switch.returncode == 0, switch.stderr[-500:]
            time.sleep(0.4)
            actives.append(conn.strategy()["active"])
        # Idle, then suspended (as e6data's auto-suspend does): the next query resumes it.
        paused.set()
        time.sleep(0.5)
        suspend = control("suspend")
        assert suspend.returncode == 0, suspend.stderr[-500:]
        before = done["queries"]
        paused.clear()
        time.sleep(3.0)
        assert done["queries"] > before, "queries ran again after the suspend"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    snapshot = conn.strategy()
    conn.close()
    assert failures == [], failures[:5]
    assert done["queries"] > 50
    assert all(a != b for a, b in zip(actives, actives[1:])), actives
    assert snapshot["counters"]["transitions"] >= 5
    assert snapshot["counters"]["resumes"] >= 1


def test_troubleshooting_snippets_run_with_only_the_import_changed(cluster):
    control, host, port = cluster
    conn = db.connect(host=host, port=port, username="demo", password="demo")
    cur = conn.cursor()
    cur.execute("SELECT customer_id FROM customers")
    cur.fetchmany(1)  # a live query
    # Written the way e6data's zero-downtime guide writes its inspector, import changed.
    snippet = '''
from e6data_cpp.strategy import _get_active_strategy, _get_shared_strategy
from e6data_cpp.strategy import _clear_strategy_cache

active = _get_active_strategy()
print(f"Active strategy: {active}")
shared = _get_shared_strategy()
print(f"Pending strategy: {shared['pending_strategy']}")
print(f"Last check: {shared['last_check_time']}")
print(f"Queries: {len(shared['query_strategy_map'])}")
_clear_strategy_cache()
print(f"After clear: {_get_active_strategy()}")
'''
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet, "inspector.py", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] in ("Active strategy: blue", "Active strategy: green"), lines
    assert lines[1] == "Pending strategy: None"
    assert lines[2].startswith("Last check: ") and lines[2] != "Last check: None"
    assert lines[3] == "Queries: 1", "the live query and its deployment"
    assert cur.strategy in ("blue", "green")
    assert lines[4] == "After clear: None"
    cur.execute("SELECT 1")  # detection runs again
    assert cur.fetchone() == (1,)
    assert db.strategy.get_active_strategy(conn) in ("blue", "green")
    conn.close()


def test_cluster_manager_suspends_and_resumes(cluster):
    control, host, port = cluster
    manager = db.ClusterManager(host, port, "demo", "demo")
    assert manager.status() == "active"
    assert manager.suspend() in ("suspending", "suspended")
    deadline = time.monotonic() + 30
    while manager.status() != "suspended" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert manager.status() == "suspended"
    with db.connect(host=host, port=port, username="demo", password="demo",
                    auto_resume=False) as conn:
        with pytest.raises(db.ClusterSuspendedError) as info:
            conn.cursor().execute("SELECT 1")
        assert info.value.http_status == 503
    assert manager.resume() is True
    assert manager.status() == "active"
