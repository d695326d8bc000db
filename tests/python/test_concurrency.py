"""The GIL is released around calls, cancel() works from another thread, KeyboardInterrupt cancels
a long call on the server, and a call's timeout bounds the whole call."""

import os
import signal
import threading
import time

import pytest

import e6data_cpp as db

LONG = ("with recursive c(x) as (select 1 union all select x + 1 from c where x < 4000000000) "
        "select sum(x) from c")


def server_idle_after(devserver, seconds=0.6):
    """True when the dev server burns (almost) no CPU over `seconds`: the query is not running."""
    before = devserver.cpu_ticks()
    time.sleep(seconds)
    return devserver.cpu_ticks() - before <= 0.25 * seconds * os.sysconf("SC_CLK_TCK")


def test_gil_is_released_during_a_call(conn):
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        cur = conn.cursor()
        with pytest.raises(db.QueryTimeoutError):
            cur.execute(LONG, timeout=1.0)
    finally:
        stop.set()
        spinner.join()
    assert ticks > 100000, "other Python threads ran while the call waited"


def test_timeout_bounds_the_call(conn, devserver):
    cur = conn.cursor()
    started = time.monotonic()
    with pytest.raises(db.QueryTimeoutError) as info:
        cur.execute(LONG, timeout=0.8)
    elapsed = time.monotonic() - started
    assert 0.7 <= elapsed < 3.0, elapsed
    assert isinstance(info.value, db.OperationalError)
    assert server_idle_after(devserver), "the timed-out query was cancelled on the server"


def test_cancel_from_another_thread(conn, devserver):
    cur = conn.cursor()
    timer = threading.Timer(0.7, cur.cancel)
    timer.start()
    started = time.monotonic()
    with pytest.raises(db.OperationalError) as info:
        cur.execute(LONG)
    elapsed = time.monotonic() - started
    timer.join()
    assert isinstance(info.value, db.QueryCancelledError), type(info.value)
    assert elapsed < 5.0, elapsed
    assert server_idle_after(devserver), "the cancelled query stopped on the server"
    cur.execute("SELECT 1")  # the cursor is usable again
    assert cur.fetchone() == (1,)


def test_keyboard_interrupt_cancels_the_call(conn, devserver):
    assert threading.current_thread() is threading.main_thread()
    cur = conn.cursor()
    timer = threading.Timer(0.7, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        cur.execute(LONG)
    elapsed = time.monotonic() - started
    timer.join()
    assert elapsed < 5.0, elapsed
    assert server_idle_after(devserver), "Ctrl-C cancelled the query on the server"
    cur.execute("SELECT 2")
    assert cur.fetchall() == [(2,)]


def test_threads_with_their_own_cursors_and_a_pool(params):
    pool = db.ConnectionPool(min_size=1, max_size=3, max_overflow=1, timeout=30, **params,
                             catalog="shop", database="main")
    failures = []

    def work(i):
        try:
            for _ in range(10):
                with pool.get_connection_context(tag=f"worker {i}") as conn:
                    cur = conn.cursor()
                    cur.execute("SELECT count(*) FROM numbers WHERE n < %s", (i * 100,))
                    assert cur.fetchone() == (i * 100,)
        except Exception as e:  # collected and asserted below
            failures.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = pool.get_statistics()
    pool.close_all()
    assert failures == []
    assert stats["open"] <= 4 and stats["created"] >= 1


@pytest.mark.parametrize("method", ["fetchall", "fetchnumpy"])
def test_a_fetch_that_times_out_midway_drops_no_row(conn, method):
    # A deadline that passes during a long read: the rows read so far are kept for the next
    # fetch, or the result says its position is unknown (IncompleteResultError). Never a gap.
    for timeout in (0.002, 0.01, 0.03, 0.08):
        cur = conn.cursor()
        cur.execute("SELECT n FROM numbers ORDER BY n")
        got = []
        try:
            if method == "fetchall":
                got = [r[0] for r in cur.fetchall(timeout=timeout)]
            else:
                got = list(cur.fetchnumpy(timeout=timeout)["n"])
        except db.QueryTimeoutError:
            try:
                if method == "fetchall":
                    got = [r[0] for r in cur.fetchall()]
                else:
                    got = list(cur.fetchnumpy()["n"])
            except db.IncompleteResultError:
                got = None  # typed: the caller knows rows may be missing
        if got is not None:
            assert got == list(range(20000)), (timeout, len(got))
        cur.close()
