#!/usr/bin/env python3
"""e6data-cli query, test-connection, inspect and decode, run as a user runs them, against a real
e6data-devserver on loopback (its own process group, always stopped).

Checks exact output formats end to end (CSV quoting, NULL, exact decimals and timestamps, JSON
types), several statements, parameters, errors naming the query id, Ctrl-C cancelling the query
on the server (the server stops burning CPU) with exit 130, usage errors exiting 2, and that the
access token never appears in any output.

Usage: cli_devserver_test.py E6DATA_CLI E6DATA_DEVSERVER
"""
import json
import os
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

passed = failed = 0
TOKEN = "s3cret-Tok3n-for-cli-test"
outputs = []  # every stdout/stderr seen, searched for the token at the end


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}", flush=True)


class Server:
    def __init__(self, binary, scratch, db, users):
        self.port_file = os.path.join(scratch, "port")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--port-file", self.port_file, "--db", db, "--users", users],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(scratch, "server.log"), "w"),
            start_new_session=True)
        deadline = time.monotonic() + 60
        self.port = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                self.port = int(open(self.port_file).read())
                break
            time.sleep(0.05)

    def cpu_ticks(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def make_database(path):
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE items(id BIGINT, name TEXT, price DECIMAL(12,2), at TIMESTAMP, day DATE,
                           ok BOOLEAN, ratio DOUBLE);
        INSERT INTO items VALUES (1, 'plain', '12345.67', '2023-11-14 22:13:20.123456', '2024-02-29',
                                  1, 0.1);
        INSERT INTO items VALUES (2, 'a,"b"' || char(10) || 'c', '-0.01', '1970-01-01 00:00:00',
                                  '1970-01-01', 0, 2.5);
        INSERT INTO items VALUES (3, '', NULL, NULL, NULL, NULL, NULL);
        CREATE TABLE bad(d DATE);
        INSERT INTO bad VALUES ('not a date');
    """)
    conn.commit()
    conn.close()


def main():
    cli, devserver = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="e6data-cli-test-") as scratch:
        db = os.path.join(scratch, "shop.db")
        make_database(db)
        users = os.path.join(scratch, "users.txt")
        open(users, "w").write(f"tester {TOKEN}\n")
        server = Server(devserver, scratch, db, users)
        try:
            check(server.port is not None, "the dev server starts")
            if server.port:
                run_tests(cli, server, scratch)
        finally:
            server.stop()
    for text in outputs:
        if TOKEN in text:
            check(False, f"the token appears in output: {text[:300]}")
            break
    else:
        check(True, "the token never appears in any output")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


def base_env(port, token=TOKEN):
    env = {k: v for k, v in os.environ.items() if not k.startswith("E6DATA_")}
    env.update({"E6DATA_HOST": "127.0.0.1", "E6DATA_PORT": str(port),
                "E6DATA_USERNAME": "tester", "E6DATA_PASSWORD": token})
    return env


def run(cli, args, env, stdin=None, timeout=60):
    # Bytes, decoded without newline translation: CSV records must end in CRLF.
    out = subprocess.run([cli, *args], input=None if stdin is None else stdin.encode(),
                         capture_output=True, env=env, timeout=timeout,
                         stdin=None if stdin is not None else subprocess.DEVNULL)
    out.stdout = out.stdout.decode("utf-8", "replace")
    out.stderr = out.stderr.decode("utf-8", "replace")
    outputs.extend([out.stdout, out.stderr])
    return out


def run_tests(cli, server, scratch):
    env = base_env(server.port)

    # --- query: formats, exact values ---
    out = run(cli, ["query", "-c", "select 1 as one"], env)
    check(out.returncode == 0 and out.stdout == "one\n1\n",
          f"piped output defaults to TSV: {out.returncode} {out.stdout!r} {out.stderr}")

    select = "select * from items order by id"
    out = run(cli, ["query", "--format", "csv", "-c", select], env)
    check(out.stdout ==
          "id,name,price,at,day,ok,ratio\r\n"
          "1,plain,12345.67,2023-11-14T22:13:20.123456Z,2024-02-29,true,0.1\r\n"
          "2,\"a,\"\"b\"\"\nc\",-0.01,1970-01-01T00:00:00.000000Z,1970-01-01,false,2.5\r\n"
          "3,\"\",,,,,\r\n",
          f"csv: RFC 4180 quoting, NULL unquoted, exact decimals and timestamps: {out.stdout!r}"
          f" {out.stderr}")

    out = run(cli, ["query", "--format", "tsv", "--null", "(null)", "-c", select], env)
    check(out.stdout.splitlines()[2] == "2\ta,\"b\"\\nc\t-0.01\t1970-01-01T00:00:00.000000Z\t"
          "1970-01-01\tfalse\t2.5" and out.stdout.splitlines()[3] ==
          "3\t\t(null)\t(null)\t(null)\t(null)\t(null)",
          f"tsv escapes and --null: {out.stdout!r}")

    out = run(cli, ["query", "--format", "json", "-c", select], env)
    try:
        rows = json.loads(out.stdout)
        check(rows[0] == {"id": 1, "name": "plain", "price": "12345.67",
                          "at": "2023-11-14T22:13:20.123456Z", "day": "2024-02-29", "ok": True,
                          "ratio": 0.1}, f"json types: {rows[0]}")
        check(rows[2]["price"] is None and rows[2]["name"] == "", f"json null vs '': {rows[2]}")
    except (ValueError, IndexError) as e:
        check(False, f"json output parses: {e} {out.stdout!r}")

    out = run(cli, ["query", "--format", "jsonl", "-c", select], env)
    lines = out.stdout.splitlines()
    check(len(lines) == 3 and json.loads(lines[1])["name"] == "a,\"b\"\nc",
          f"jsonl: {out.stdout!r}")

    out = run(cli, ["query", "--format", "table", "-c", "select id, name from items where id < 3"],
              env)
    check(out.stdout == " id | name\n----+----------\n  1 | plain\n  2 | a,\"b\"\\nc\n(2 rows)\n",
          f"table: {out.stdout!r}")

    # --- several statements: -c, -f and standard input; ';' inside strings and comments ---
    script = "select 'a;b' as s; -- a comment; with a semicolon\nselect 2 as n;"
    out = run(cli, ["query"], env, stdin=script)
    check(out.returncode == 0 and out.stdout == "s\na;b\nn\n2\n",
          f"statements from stdin run in order: {out.stdout!r} {out.stderr}")
    path = os.path.join(scratch, "script.sql")
    open(path, "w").write("create table t(x int); insert into t values (1), (2);\n"
                          "select sum(x) as total from t;")
    out = run(cli, ["query", "-f", path, "--format", "csv"], env)
    check(out.returncode == 0 and out.stdout == "total\r\n3\r\n", f"-f FILE: {out.stdout!r}")
    out = run(cli, ["query", "-f", scratch], env)
    check(out.returncode == 2 and "is a directory" in out.stderr, f"-f DIR: {out.stderr}")

    # --- parameters ---
    out = run(cli, ["query", "--param", "id=2", "--param", "label='x;y'", "-c",
                    "select id, :label as label from items where id = :id"], env)
    check(out.returncode == 0 and out.stdout == "id\tlabel\n2\tx;y\n",
          f"--param typed literals: {out.stdout!r} {out.stderr}")

    # --- errors name the statement, the kind and the query id ---
    out = run(cli, ["query", "-c", "select 1; select nosuch from items; select 3"], env)
    check(out.returncode == 1 and "statement 2 of 3 failed: query error" in out.stderr
          and out.stdout == "1\n1\n", f"stops at the failing statement: {out.stderr}")
    out = run(cli, ["query", "-c", "select * from bad"], env)
    check(out.returncode == 1 and re.search(r"query id [0-9a-f]{32}", out.stderr),
          f"a failure after prepare carries the query id: {out.stderr}")
    out = run(cli, ["query", "--continue-on-error", "-c", "select nosuch; select 3 as n"], env)
    check(out.returncode == 1 and out.stdout == "n\n3\n",
          f"--continue-on-error: {out.returncode} {out.stdout!r}")
    out = run(cli, ["query", "--timing", "-c", "select 1"], env)
    check(re.search(r"Time: [0-9.]+ ms .*query id [0-9a-f]{32}", out.stderr),
          f"--timing: {out.stderr}")

    # --- Ctrl-C cancels on the server and exits 130 ---
    long_query = ("with recursive c(x) as (select 1 union all select x + 1 from c "
                  "where x < 2000000000) select sum(x) from c")
    proc = subprocess.Popen([cli, "query", "-c", long_query], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    time.sleep(1.0)
    busy_before = server.cpu_ticks()
    time.sleep(1.0)
    busy = server.cpu_ticks() - busy_before
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    outputs.extend([stdout, stderr])
    check(proc.returncode == 130, f"Ctrl-C exits 130: {proc.returncode} {stderr}")
    check(re.search(r"cancelled \(query id [0-9a-f]{32}\)", stderr), f"says so: {stderr}")
    time.sleep(0.3)
    idle_before = server.cpu_ticks()
    time.sleep(1.0)
    idle = server.cpu_ticks() - idle_before
    # CPU time, not wall time, so other work on the machine only slows both measurements: a
    # query still running would keep taking about as much CPU as before the interrupt.
    check(busy >= 4, f"the long query keeps the server busy ({busy} ticks in 1 s)")
    check(idle * 4 < busy, f"the server stopped the query: {idle} CPU ticks in the second after "
          f"Ctrl-C, {busy} in the second before")

    # --- usage errors exit 2 ---
    for args, why in [(["query", "--format", "xml", "-c", "select 1"], "xml"),
                      (["query", "--no-such-flag"], "no-such-flag"),
                      (["query", "--param", "oops", "-c", "select 1"], "name=value"),
                      (["nosuchcommand"], "nosuchcommand"),
                      ([], "subcommand")]:
        out = run(cli, args, env)
        check(out.returncode == 2 and why in out.stdout + out.stderr,
              f"{args}: exit 2 naming {why}: {out.returncode} {out.stderr[:300]}")
    no_token = base_env(server.port)
    del no_token["E6DATA_PASSWORD"]
    out = run(cli, ["query", "--no-password-prompt", "-c", "select 1"], no_token)
    check(out.returncode == 2 and "no access token" in out.stderr, f"no token: {out.stderr}")
    token_file = os.path.join(scratch, "token")
    open(token_file, "w").write(TOKEN + "\n")
    out = run(cli, ["query", "--password-file", token_file, "-c", "select 1"], no_token)
    check(out.returncode == 0, f"--password-file: {out.stderr}")
    uri = f"e6data://tester@127.0.0.1:{server.port}"
    bare = {k: v for k, v in no_token.items() if k not in ("E6DATA_HOST", "E6DATA_PORT")}
    bare["E6DATA_PASSWORD"] = TOKEN
    bare.pop("E6DATA_USERNAME", None)
    out = run(cli, ["query", uri, "-c", "select 5"], bare)
    check(out.returncode == 0 and out.stdout == "5\n5\n", f"a URI argument: {out.stderr}")
    out = run(cli, ["query", "--host", "127.0.0.1", "--port", str(server.port), "--user",
                    "tester", "select 6"], bare)
    check(out.returncode == 0 and out.stdout == "6\n6\n", f"flags and SQL argument: {out.stderr}")
    wrong = base_env(server.port, token="wrong-token")
    out = run(cli, ["query", "-c", "select 1"], wrong)
    check(out.returncode == 1 and "authentication error" in out.stderr,
          f"a wrong token is an authentication error: {out.stderr}")
    out = run(cli, ["--version"], env)
    check(out.returncode == 0 and out.stdout.startswith("e6data-cli "), f"--version: {out.stdout}")
    for sub in ["query", "test-connection", "inspect", "monitor", "metrics", "decode"]:
        out = run(cli, [sub, "--help"], env)
        check(out.returncode == 0 and "Examples:" in out.stdout, f"{sub} --help has examples")

    # --- metrics: the library's Prometheus text after a connection and a query ---
    out = run(cli, ["metrics", "--query", "select * from items"], env)
    execute = re.search(r'^db_client_operation_duration_seconds_count\{[^}]*'
                        r'db_operation_name="execute"[^}]*\} (\d+)$', out.stdout, re.M)
    check(out.returncode == 0 and execute is not None and int(execute.group(1)) == 1
          and "# TYPE db_client_operation_duration_seconds histogram" in out.stdout
          and re.search(r'^e6data_\w+', out.stdout, re.M),
          f"metrics counts the one execute: {out.returncode} {out.stdout[:1500]} {out.stderr}")
    out = run(cli, ["metrics", "--query", "select * from no_such_table"], env)
    check(out.returncode == 1 and "query error" in out.stderr
          and re.search(r'db_operation_name="execute"[^}]*error_type="query"', out.stdout),
          f"a failed query is counted with its error type, exit 1: {out.returncode} "
          f"{out.stdout[:1500]} {out.stderr}")

    # --- test-connection ---
    out = run(cli, ["test-connection", "--count", "3", "--interval", "0", "--query", "select 1"],
              env)
    check(out.returncode == 0 and "3 attempts: 3 succeeded, 0 failed (100.0 % success)" in
          out.stdout and out.stdout.count("deployment blue") == 3
          and re.search(r"min [0-9.]+ ms, p50 [0-9.]+ ms, p95 [0-9.]+ ms, max", out.stdout),
          f"test-connection: {out.returncode} {out.stdout}")
    out = run(cli, ["test-connection", "--count", "2", "--interval", "0"], wrong)
    check(out.returncode == 1 and out.stdout.count("FAILED after") == 2
          and "authentication:" in out.stdout and "0 succeeded, 2 failed" in out.stdout,
          f"failures carry the error kind, exit 1: {out.returncode} {out.stdout}")
    closed = base_env(1)
    out = run(cli, ["test-connection", "--count", "1", "--timeout", "5"], closed)
    check(out.returncode == 1 and "connection:" in out.stdout,
          f"an unreachable port is a connection failure: {out.returncode} {out.stdout}")
    out = run(cli, ["test-connection", "--duration", "2.2", "--interval", "0.05"], env)
    check(out.returncode == 0 and re.search(r"second 1: \d+ ok, 0 failed", out.stdout)
          and "second 2:" in out.stdout, f"--duration: per-second lines: {out.stdout}")
    proc = subprocess.Popen([cli, "test-connection", "--duration", "60"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    outputs.extend([stdout, stderr])
    check(proc.returncode == 130 and "summary (interrupted)" in stdout and "0 failed" in stdout,
          f"Ctrl-C prints the summary and exits 130: {proc.returncode} {stdout[-300:]}")

    # --- inspect ---
    out = run(cli, ["inspect"], env)
    check(out.returncode == 0 and re.search(r"active +\| blue", out.stdout)
          and "detections" in out.stdout and "bound queries on green" in out.stdout,
          f"inspect table: {out.stdout}")
    out = run(cli, ["inspect", "--json"], env)
    try:
        state = json.loads(out.stdout)
        check(state["active"] == "blue" and state["counters"]["detections"] >= 1
              and state["endpoint"].startswith("127.0.0.1:"), f"inspect --json: {state}")
    except ValueError:
        check(False, f"inspect --json parses: {out.stdout!r}")
    out = run(cli, ["monitor", "--jsonl", "--duration", "0.5", "--interval", "0.1"], env)
    lines = out.stdout.splitlines()
    check(out.returncode == 0 and len(lines) == 2 and json.loads(lines[0])["event"] == "start"
          and json.loads(lines[0])["active"] == "blue" and json.loads(lines[1])["switches"] == 0,
          f"monitor --duration: a start line and a summary, exit 0: {out.returncode} {out.stdout}")
    out = run(cli, ["inspect"], closed)
    check(out.returncode == 1 and "connection error" in out.stderr, f"inspect fails: {out.stderr}")

    # --- decode: errors that name what was wrong ---
    out = run(cli, ["decode", scratch], env)
    check(out.returncode == 1 and "is a directory" in out.stderr, f"decode DIR: {out.stderr}")
    metadata = os.path.join(scratch, "metadata.bin")
    with open(metadata, "wb") as f:
        def string(s):
            return struct.pack(">H", len(s)) + s.encode()
        f.write(struct.pack(">qi", 1, 1) + string("n") + string("LONG") + string("") + string(""))
    out = run(cli, ["decode", metadata], env)
    check(out.returncode == 1 and "add --metadata" in out.stderr,
          f"metadata without --metadata says so: {out.stderr}")
    out = run(cli, ["decode", "--metadata", metadata], env)
    check(out.returncode == 0 and "LONG" in out.stdout, f"decode --metadata: {out.stdout}")


if __name__ == "__main__":
    sys.exit(main())
