#!/usr/bin/env python3
"""e6data-demo in a terminal: Ctrl-C mid-run reaches only the demo, which stops its workers, then
the cluster, reports the run as interrupted with zero failures, exits 130 within 5 s and leaves
nothing running; and a demo killed with SIGKILL leaves nothing running either.

The demo runs in a pseudo-terminal (pty.fork: it is the session leader and the terminal's
foreground process group). Ctrl-C is the byte 0x03 written to the terminal, so the line
discipline sends SIGINT to the foreground process group, as a terminal does: if the cluster's
processes were in that group they would get it too. "Nothing running" is checked two ways: no
process whose command line holds this test's own output directory (the controller, nginx and
the dev servers all name it), and no process in the cluster's session (nginx workers name no
directory), whose id the demo prints as the controller's pid.

Usage: demo_interrupt_test.py E6DATA_DEMO
"""
import os
import pty
import re
import select
import shutil
import signal
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


def proc_stat(pid):
    """(state, pgrp, session) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[0], int(fields[2]), int(fields[3])


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def live_processes():
    """pid -> (pgrp, session, cmdline) of every process that is not a zombie."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = proc_stat(int(name))
        if stat is None or stat[0] == "Z":
            continue
        out[int(name)] = (stat[1], stat[2], cmdline(int(name)))
    return out


def leftovers(out_dir, session, exclude=()):
    """Live processes started by this demo: naming its directory or in the cluster's session."""
    return {pid: info for pid, info in live_processes().items()
            if pid not in exclude and (out_dir in info[2] or (session and info[1] == session))}


def wait_gone(out_dir, session, seconds, exclude=()):
    deadline = time.monotonic() + seconds
    left = leftovers(out_dir, session, exclude)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = leftovers(out_dir, session, exclude)
    return left


def kill_all(processes):
    for pid in processes:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class Terminal:
    """The demo in a pseudo-terminal; collects everything it writes to the terminal."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        self.text = ""
        self.status = None

    def pump(self, seconds):
        """Reads output for up to `seconds`; returns False once the terminal is closed."""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the demo has exited and closed the terminal
            return False
        if not data:
            return False
        self.text += data.decode(errors="replace")
        return True

    def wait_for(self, predicate, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate(self.text):
                return True
            if not self.pump(0.1) or self.exited():
                return predicate(self.text)
        return predicate(self.text)

    def exited(self):
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = status
        return self.status is not None

    def wait_exit(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.exited():
            self.pump(0.05)
        while self.pump(0.05):  # the rest of its output
            pass
        return self.exited()

    def close(self):
        if not self.exited():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def ok_count(text):
    counts = re.findall(r"ok +(\d+) +failed", text)
    return int(counts[-1]) if counts else 0


def controller_session(text):
    found = re.search(r"controller pid (\d+) in a session of its own", text)
    return int(found.group(1)) if found else 0


def start_demo(demo, out_dir):
    # Short phases: the first switch comes 4 s after traffic starts.
    return Terminal([demo, "--out", out_dir, "--phase-seconds", "4", "--workers", "3",
                     "--shared-workers", "2", "--long-rows", "20000"])


def interrupt_mid_run(demo, scratch):
    out_dir = os.path.join(scratch, "ctrl-c")
    term = start_demo(demo, out_dir)
    session = 0
    try:
        running = term.wait_for(lambda t: ok_count(t) >= 50, 240)
        check(running, f"the demo runs queries (output: {term.text[-2000:]!r})")
        if not running:
            return
        session = controller_session(term.text)
        check(session > 0, "the demo prints its cluster's controller pid")
        cluster = leftovers(out_dir, session, exclude=(term.pid,))
        check(len(cluster) >= 4, f"the controller, nginx and both dev servers run: {cluster}")
        demo_group = proc_stat(term.pid)[1]
        shared = {pid: info for pid, info in cluster.items() if info[0] == demo_group}
        check(not shared, f"no cluster process is in the terminal's foreground group: {shared}")

        term.text = term.text[-200:]
        sent = time.monotonic()
        os.write(term.fd, b"\x03")  # Ctrl-C, as typed: the line discipline sends SIGINT
        exited = term.wait_exit(5.0)
        took = time.monotonic() - sent
        check(exited, f"the demo exits within 5 s of Ctrl-C (still running after {took:.1f} s)")
        if not exited:
            return
        code = os.WEXITSTATUS(term.status) if os.WIFEXITED(term.status) else -1
        check(code == 130, f"exit code 130 after Ctrl-C (got {code}, status {term.status})")
        print(f"Ctrl-C to exit: {took:.2f} s", flush=True)
        result = re.search(r"RESULT: INTERRUPTED[^\n]*", term.text)
        check(result is not None, f"the summary says the run was interrupted: {term.text[-3000:]!r}")
        if result:
            failures = re.search(r"(\d+) failed", result.group(0))
            check(failures is not None and failures.group(1) == "0",
                  f"zero failures reported: {result.group(0)}")
            check(" 0 wrong results" in result.group(0), f"no wrong result: {result.group(0)}")
        check("FAILED x" not in term.text, "no failure is listed")
        errors_log = os.path.join(out_dir, "errors.log")
        check(os.path.exists(errors_log) and open(errors_log).read() == "no failed queries\n",
              "errors.log exists and holds no failure")
        check(errors_log in term.text, "the summary names errors.log")
        summary = os.path.join(out_dir, "summary.txt")
        check(os.path.exists(summary) and "INTERRUPTED" in open(summary).read(),
              "summary.txt says the run was interrupted")
        left = leftovers(out_dir, session)
        check(not left, f"nothing is left running after the demo exits: {left}")
    finally:
        term.close()
        kill_all(wait_gone(out_dir, session, 10))


def killed_mid_run(demo, scratch):
    out_dir = os.path.join(scratch, "sigkill")
    term = start_demo(demo, out_dir)
    session = 0
    try:
        running = term.wait_for(lambda t: ok_count(t) >= 50, 240)
        check(running, f"the demo runs queries (output: {term.text[-2000:]!r})")
        if not running:
            return
        session = controller_session(term.text)
        check(len(leftovers(out_dir, session, exclude=(term.pid,))) >= 4,
              "the cluster runs before the kill")
        os.kill(term.pid, signal.SIGKILL)
        term.wait_exit(5)
        left = wait_gone(out_dir, session, 10)
        check(not left, f"a killed demo leaves nothing running after 10 s: {left}")
    finally:
        term.close()
        kill_all(wait_gone(out_dir, session, 10))


def main():
    demo = os.path.abspath(sys.argv[1])
    scratch = tempfile.mkdtemp(prefix="e6data-demo-interrupt-")
    try:
        interrupt_mid_run(demo, scratch)
        killed_mid_run(demo, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
