#!/usr/bin/env python3
"""e6data-cli shell against a real e6data-devserver on loopback (its own process group, always
stopped):

- through a pseudo-terminal, as a person types: the prompt with the deployment and "->" while a
  statement goes on, multi-line statements, \\timing, \\x, \\format, \\d, \\dt, \\d TABLE,
  \\strategy, \\r, unknown commands, Ctrl-C cancelling a long query on the server and returning
  to the prompt, Ctrl-C at the prompt doing no harm, \\q; the history in $HOME/.e6data_history
  (0600), recalled with the Up arrow in a second session;
- with standard input piped: no prompt and no history, the same commands, exit 1 when a
  statement failed, SIGINT cancelling the running statement and exiting 130.

Usage: cli_shell_test.py E6DATA_CLI E6DATA_DEVSERVER
"""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_devserver_test as t  # noqa: E402  (Server, check, run, base_env, the token)

check, run = t.check, t.run
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")
LONG_QUERY = ("with recursive c(x) as (select 1 union all select x + 1 from c "
              "where x < 2000000000) select sum(x) from c;")


class Pty:
    """The shell on a pseudo-terminal; expect() waits for text in what it printed."""

    def __init__(self, cli, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(cli, [cli, "shell"], env)
        self.seen = ""   # everything, without escape sequences and carriage returns
        self.mark = 0    # expect() looks after this point

    def send(self, text):
        os.write(self.fd, text.encode())

    def read(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.seen += ANSI.sub("", data.decode("utf-8", "replace"))
        return True

    def expect(self, pattern, timeout=20):
        """The match of `pattern` after the mark (which then moves past it), or None."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.compile(pattern).search(self.seen, self.mark)
            if m:
                self.mark = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not self.read(min(left, 0.5)) and self.exited():
                m = re.compile(pattern).search(self.seen, self.mark)
                if m:
                    self.mark = m.end()
                return m

    def exited(self):
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == self.pid:
            self.status = _
            return True
        return False

    def wait(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.1)
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return getattr(self, "status_code", None)
            if pid == self.pid:
                self.status_code = os.waitstatus_to_exitcode(status)
                return self.status_code
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def main():
    cli, devserver = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="e6data-cli-shell-") as scratch:
        db = os.path.join(scratch, "shop.db")
        t.make_database(db)
        users = os.path.join(scratch, "users.txt")
        open(users, "w").write(f"tester {t.TOKEN}\n")
        server = t.Server(devserver, scratch, db, users)
        try:
            check(server.port is not None, "the dev server starts")
            if server.port:
                terminal_tests(cli, server, scratch)
                piped_tests(cli, server, scratch)
        finally:
            server.stop()
    for text in t.outputs:
        if t.TOKEN in text:
            check(False, f"the token appears in output: {text[:300]}")
            break
    print(f"{t.passed} passed, {t.failed} failed")
    return 0 if t.failed == 0 and t.passed > 0 else 1


def terminal_tests(cli, server, scratch):
    home = os.path.join(scratch, "home")
    os.mkdir(home)
    env = dict(t.base_env(server.port), HOME=home, TERM="xterm", E6DATA_DATABASE="main")
    env.pop("E6DATA_HISTORY_FILE", None)
    shell = Pty(cli, env)
    try:
        check(shell.expect(r"e6data-cli shell .*deployment blue\. .*\\q quits") is not None,
              f"a banner names the user, the endpoint and the deployment: {shell.seen[-500:]}")
        check(shell.expect(r"e6data\[blue\]> ") is not None, f"the prompt: {shell.seen[-300:]}")

        shell.send("select id, name\r")
        check(shell.expect(r"e6data\[blue\]-> ") is not None,
              f"a statement without ';' goes on: {shell.seen[-300:]}")
        shell.send("from items where id = 1;\r")
        check(shell.expect(r" id \| name\n----\+-------\n  1 \| plain\n\(1 row\)\n") is not None
              and shell.expect(r"e6data\[blue\]> ") is not None,
              f"the multi-line statement runs when ';' ends it: {shell.seen[-400:]}")

        shell.send("\\timing\r")
        check(shell.expect(r"Timing is on\.") is not None, "\\timing on")
        shell.send("select 2 as two;\r")
        check(shell.expect(r"Time: [0-9.]+ ms \(execute [0-9.]+ ms, fetch [0-9.]+ ms\), "
                           r"query id [0-9a-f]{32}") is not None,
              f"\\timing prints the time and query id: {shell.seen[-400:]}")
        shell.send("\\timing off\r")
        check(shell.expect(r"Timing is off\.") is not None, "\\timing off")

        shell.send("\\x\r")
        check(shell.expect(r"Expanded display is on\.") is not None, "\\x on")
        shell.send("select 1 as a, 'z' as b;\r")
        check(shell.expect(r"-\[ RECORD 1 \]-*\na +\| 1\nb +\| z\n") is not None,
              f"\\x: vertical records: {shell.seen[-300:]}")
        shell.send("\\x\r")
        check(shell.expect(r"Expanded display is off\.") is not None, "\\x off again")

        shell.send("\\format csv\r")
        check(shell.expect(r"Output format is csv\.") is not None, "\\format csv")
        shell.send("select 5 as five, null as n;\r")
        check(shell.expect(r"five,n\n5,\n") is not None, f"csv output: {shell.seen[-200:]}")
        shell.send("\\format\r")
        check(shell.expect(r"Output format is csv\.") is not None, "\\format shows the format")
        shell.send("\\format table\r")
        check(shell.expect(r"Output format is table\.") is not None, "\\format table")
        shell.send("\\format xml\r")
        check(shell.expect(r"unknown format 'xml'") is not None, "an unknown format is named")

        shell.send("\\d\r")
        check(shell.expect(r" schema\n-+\n main\n\(1 row\)") is not None,
              f"\\d lists the schemas: {shell.seen[-300:]}")
        shell.send("\\dt\r")
        check(shell.expect(r" main +\| bad\n main +\| items\n\(2 rows\)") is not None,
              f"\\dt: the tables of the database in use: {shell.seen[-300:]}")
        shell.send("\\dt main\r")
        check(shell.expect(r" main +\| items\n") is not None, "\\dt SCHEMA")
        shell.send("\\d main.items\r")
        check(shell.expect(r" id +\| LONG\n name +\| STRING\n price +\| DECIMAL") is not None,
              f"\\d TABLE describes its columns: {shell.seen[-400:]}")
        shell.send("\\d items\r")
        check(shell.expect(r" ok +\| BOOLEAN") is not None, "\\d TABLE in the database in use")
        shell.send("\\strategy\r")
        check(shell.expect(r"active +\| blue\n") is not None
              and shell.expect(r"detections +\| 1\n") is not None,
              f"\\strategy prints the connector's state: {shell.seen[-600:]}")
        shell.send("\\nosuch\r")
        check(shell.expect(r"unknown command \\nosuch") is not None, "unknown commands are named")
        shell.send("select nosuch from items;\r")
        check(shell.expect(r"ERROR: query error: .*no such column: nosuch") is not None
              and shell.expect(r"e6data\[blue\]> ") is not None,
              f"an error, then the prompt again: {shell.seen[-300:]}")

        shell.send("select 'forgotten'\r")
        shell.expect(r"-> ")
        shell.send("\\r\r")
        check(shell.expect(r"Query buffer reset") is not None
              and shell.expect(r"e6data\[blue\]> ") is not None, "\\r forgets the statement")

        # Ctrl-C cancels a long query on the server and returns to the prompt.
        shell.send(LONG_QUERY + "\r")
        time.sleep(1.5)
        busy_before = server.cpu_ticks()
        time.sleep(1.0)
        busy = server.cpu_ticks() - busy_before
        shell.send("\x03")
        check(shell.expect(r"cancelled \(query id [0-9a-f]{32}\)", timeout=15) is not None
              and shell.expect(r"e6data\[blue\]> ") is not None,
              f"Ctrl-C cancels the query and returns to the prompt: {shell.seen[-300:]}")
        time.sleep(0.3)
        idle_before = server.cpu_ticks()
        time.sleep(1.0)
        idle = server.cpu_ticks() - idle_before
        check(busy >= 4 and idle * 4 < busy,
              f"the server stopped the query: {idle} ticks after Ctrl-C, {busy} before")
        shell.send("\x03")  # at the prompt: nothing happens
        time.sleep(0.3)
        shell.send("select 3 as three;\r")
        check(shell.expect(r" three\n-+\n +3\n") is not None,
              f"the shell goes on after Ctrl-C at the prompt: {shell.seen[-300:]}")
        shell.send("\\q\r")
        code = shell.wait()
        check(code == 0, f"\\q exits 0: {code}")
    finally:
        shell.close()

    history = os.path.join(home, ".e6data_history")
    check(os.path.exists(history) and os.stat(history).st_mode & 0o777 == 0o600,
          "the history is in $HOME/.e6data_history, mode 0600")
    # libedit writes its own format: a header line, then each entry with octal escapes (\040).
    text = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)),
                  open(history, errors="replace").read()) if os.path.exists(history) else ""
    check("select 2 as two;" in text and "\\timing" in text and "from items where id = 1;" in text,
          f"it holds what was typed: {text[-300:]}")

    # A second session recalls the history with the Up arrow.
    shell = Pty(cli, env)
    try:
        check(shell.expect(r"e6data\[blue\]> ") is not None, "a second session starts")
        # Keys libedit itself reads go after it has set the terminal up (switching modes may
        # drop input typed just before, which a person never types that fast).
        time.sleep(0.5)
        shell.send("\x1b[A\x1b[A")  # Up, Up: past "\q" to "select 3 as three;"
        time.sleep(0.3)
        shell.send("\r")
        check(shell.expect(r" three\n-+\n +3\n") is not None,
              f"Up arrow recalls the statement from the history: {shell.seen[-400:]}")
        check(shell.expect(r"e6data\[blue\]> ") is not None, "the prompt again")
        time.sleep(0.5)
        shell.send("\x04")  # Ctrl-D at an empty prompt quits
        code = shell.wait()
        check(code == 0, f"Ctrl-D exits 0: {code} {shell.seen[-200:]!r}")
    finally:
        shell.close()


def piped_tests(cli, server, scratch):
    home = os.path.join(scratch, "home-piped")
    os.mkdir(home)
    env = dict(t.base_env(server.port), HOME=home)
    script = ("select id,\n name from items\n where id < 3;\n"
              "\\timing\nselect 2 as two; select 3 as three;\n\\timing off\n"
              "\\format csv\nselect id, price from items order by id;\n"
              "\\dt main\n\\d main.items\n"
              "select 'last' as l")  # no ';' at the end: still runs
    out = run(cli, ["shell"], env, stdin=script)
    check(out.returncode == 0 and "e6data[" not in out.stdout and "e6data-cli shell" not in out.stdout,
          f"piped: no banner, no prompt, exit 0: {out.returncode} {out.stdout[:300]} {out.stderr}")
    check(out.stdout.startswith(" id | name\n----+----------\n  1 | plain\n"),
          f"the multi-line statement: {out.stdout[:200]!r}")
    check(re.search(r"Timing is on\.\n two\n-----\n   2\n\(1 row\)\nTime: [0-9.]+ ms", out.stdout)
          is not None and "three" in out.stdout, f"\\timing and two statements on a line: "
          f"{out.stdout[:600]!r}")
    check("id,price\r\n1,12345.67\r\n2,-0.01\r\n3,\r\n" in out.stdout,
          f"\\format csv: exact decimals, NULL: {out.stdout!r}")
    check("schema,table\r\nmain,bad\r\nmain,items\r\n" in out.stdout
          and "column,type\r\nid,LONG\r\n" in out.stdout,
          f"\\dt and \\d in the format in force: {out.stdout!r}")
    check(out.stdout.endswith("l\r\nlast\r\n"), f"the unterminated last statement runs: "
          f"{out.stdout[-60:]!r}")
    check(not os.path.exists(os.path.join(home, ".e6data_history")), "piped input keeps no history")

    out = run(cli, ["shell"], env, stdin="select nosuch;\nselect 1 as one;\n")
    check(out.returncode == 1 and "ERROR: query error" in out.stderr and "one\n" in out.stdout,
          f"a failed statement: the rest still runs, exit 1: {out.returncode} {out.stderr}")
    out = run(cli, ["shell"], env, stdin="\\q\nselect 1;\n")
    check(out.returncode == 0 and out.stdout == "", f"\\q ends a script: {out.stdout!r}")

    proc = subprocess.Popen([cli, "shell"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(LONG_QUERY + "\nselect 'never' as n;\n")
    proc.stdin.flush()
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    t.outputs.extend([stdout, stderr])
    check(proc.returncode == 130 and "cancelled (query id" in stderr and "never" not in stdout,
          f"piped: SIGINT cancels the statement and exits 130: {proc.returncode} {stderr}")
    out = run(cli, ["shell", "--help"], env)
    check(out.returncode == 0 and "Examples:" in out.stdout and "\\dt [SCHEMA]" in out.stdout,
          "shell --help lists the commands and examples")


if __name__ == "__main__":
    sys.exit(main())
