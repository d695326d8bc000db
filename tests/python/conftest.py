"""Fixtures of the Python package's tests: a real e6data-devserver (and, for the blue-green test,
a real e6data-bluegreen cluster with nginx) on loopback, each in its own process group and always
stopped. Paths come from CTest: E6DATA_DEVSERVER, E6DATA_BLUEGREEN, E6DATA_WIRE_VECTORS_DIR."""

import os
import signal
import sqlite3
import subprocess
import tempfile
import time

import pytest

TOKEN = "py-Secr3t-t0ken/with+symbols"
USER = "analyst@example.com"
CATALOG = "shop"


def make_database(path):
    """Every column type the dev server maps, with values at their edges."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE typed(id BIGINT, small INT, name TEXT, price DECIMAL(20,4), ratio DOUBLE,
                           ok BOOLEAN, day DATE, at TIMESTAMP, at_tz TIMESTAMPTZ, data BLOB);
        INSERT INTO typed VALUES (1, 7, 'plain', '12345.6789', 0.1, 1, '2024-02-29',
            '2023-11-14 22:13:20.123456', '2023-11-14T22:13:20.654321+05:30', x'00ff10');
        INSERT INTO typed VALUES (2, -2147483648, 'quote '' and \\ and ' || char(10) || 'newline',
            '-0.0001', -2.5e-300, 0, '1900-01-01', '1969-12-31 23:59:59.999999',
            '1969-12-31T23:59:59.000001-08:00', x'');
        INSERT INTO typed VALUES (3, 2147483647, 'ünïcödé ☃ 𝄞', '9999999999.9999', 1e308, 1,
            '9999-12-31', '0001-01-01 00:00:00', '2024-06-01T00:00:00Z', x'deadbeef');
        INSERT INTO typed VALUES (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        CREATE TABLE far(d DATE, t TIMESTAMP);
        INSERT INTO far VALUES (253402300800000000, -62135596800000001);
        CREATE TABLE notes(id BIGINT, body TEXT);
        CREATE TABLE numbers(n BIGINT, half DOUBLE, label TEXT);
    """)
    conn.execute("CREATE TABLE dates(n BIGINT, d DATE)")
    day = 86400 * 10**6
    conn.executemany("INSERT INTO dates VALUES (?, ?)",
                     [(n, 253402300800000000 if n == 1500 else n * day) for n in range(2000)])
    conn.executemany("INSERT INTO numbers VALUES (?, ?, ?)",
                     [(i, i / 2, f"row {i}" if i % 7 else None) for i in range(20000)])
    conn.commit()
    conn.close()


def child_env():
    """The environment for the servers we start: without the sanitizer preload of the test's
    interpreter (they are programs of their own) and without E6DATA_* settings."""
    return {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "ASAN_OPTIONS") and not k.startswith("E6DATA_")}


def die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, even if it crashes or is
    killed (its fixtures' teardown then never runs). Linux prctl(PR_SET_PDEATHSIG)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class ServerProcess:
    def __init__(self, binary, scratch, db, users, extra=()):
        self.port_file = os.path.join(scratch, "port")
        self.log = open(os.path.join(scratch, "server.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--port-file", self.port_file, "--db", db, "--users", users,
             "--catalog", CATALOG, "--batch-rows", "1000", *extra],
            stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True, env=child_env(),
            preexec_fn=die_with_parent)
        deadline = time.monotonic() + 60
        self.port = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                self.port = int(open(self.port_file).read())
                break
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            raise RuntimeError("the dev server did not start: " + open(self.log.name).read()[-2000:])

    def cpu_ticks(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def scratch():
    with tempfile.TemporaryDirectory(prefix="e6data-py-") as d:
        yield d


@pytest.fixture(scope="session")
def database(scratch):
    path = os.path.join(scratch, "shop.db")
    make_database(path)
    return path


@pytest.fixture(scope="session")
def devserver(scratch, database):
    binary = os.environ.get("E6DATA_DEVSERVER")
    if not binary:
        pytest.fail("E6DATA_DEVSERVER is not set (CTest sets it)")
    users = os.path.join(scratch, "users.txt")
    with open(users, "w") as f:
        f.write(f"{USER} {TOKEN}\n")
    server = ServerProcess(binary, scratch, database, users)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def params(devserver):
    return {"host": "127.0.0.1", "port": devserver.port, "username": USER, "password": TOKEN}


@pytest.fixture()
def conn(params):
    import e6data_cpp
    connection = e6data_cpp.connect(**params, catalog=CATALOG, database="main")
    yield connection
    connection.close()


@pytest.fixture()
def plain_conn(params):
    """Without a catalog: the SQL-text call form, parameters written as literals."""
    import e6data_cpp
    connection = e6data_cpp.connect(**params)
    yield connection
    connection.close()
