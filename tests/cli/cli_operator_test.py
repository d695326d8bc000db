#!/usr/bin/env python3
"""e6data-cli's operator commands, run as an operator runs them, against a real e6data-devserver on
loopback (its own process group, always stopped):

- inspect --shared-state and monitor --shared-state: the shared strategy file that applications on this host use
  (E6DATA_STRATEGY_SHARED_STATE), read without joining it; every endpoint slot; a file not safe
  to trust (world-writable, another user's) refused, saying why;
- strategy clear / apply-pending on that file: --yes needed off a terminal, the slot changes for
  every process sharing the file, the connector still serves afterwards;
- cluster status|resume|suspend (a standalone dev server is always active and refuses to be
  suspended; cli_bluegreen_test.py suspends and resumes a real router);
- support-bundle: the archive's files, and that the token and every secret variable appear in
  no file of it in any encoding (plain, URL-encoded, hex, JSON-escaped, base64 at every
  alignment), even when the application's log file holds them in those encodings.

The shared file is /dev/shm/e6data-cli-test-<pid>, always removed.

Usage: cli_operator_test.py E6DATA_CLI E6DATA_DEVSERVER
"""
import base64
import json
import os
import signal
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_devserver_test as t  # noqa: E402  (Server, check, run, base_env, the token)

check, run = t.check, t.run
# A token with characters that URL-encoding, JSON and base64 all change (no space: the dev
# server's users file separates name and token with one).
BUNDLE_TOKEN = 'Bt0k/en+=&%~"q\\z;9Zy'
OTHER_SECRET = "an0ther-Secret-Value-42"


def main():
    cli, devserver = sys.argv[1], sys.argv[2]
    shm = f"e6data-cli-test-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="e6data-cli-operator-") as scratch:
        db = os.path.join(scratch, "shop.db")
        t.make_database(db)
        users = os.path.join(scratch, "users.txt")
        open(users, "w").write(f"tester {t.TOKEN}\nbundler {BUNDLE_TOKEN}\n")
        server = t.Server(devserver, scratch, db, users)
        try:
            check(server.port is not None, "the dev server starts")
            if server.port:
                shared_state_tests(cli, server, shm)
                cluster_tests(cli, server)
                support_bundle_tests(cli, server, shm, scratch)
        finally:
            server.stop()
            if os.path.exists(f"/dev/shm/{shm}"):
                os.chown(f"/dev/shm/{shm}", os.geteuid(), os.getegid())
                os.remove(f"/dev/shm/{shm}")
    for text in t.outputs:
        if t.TOKEN in text or BUNDLE_TOKEN in text:
            check(False, f"the token appears in output: {text[:300]}")
            break
    print(f"{t.passed} passed, {t.failed} failed")
    return 0 if t.failed == 0 and t.passed > 0 else 1


def slots_of(cli, env, shm):
    out = run(cli, ["inspect", "--shared-state", shm, "--json"], env)
    try:
        return out.returncode, json.loads(out.stdout)
    except ValueError:
        return out.returncode, {"raw": out.stdout, "stderr": out.stderr}


def write_word(shm, slot, active, pending):
    """Writes a strategy word into a slot as a process of the connector does (PROTOCOL: active in
    bits 0-1, pending in 2-3, pending answered in 4, generation in 32-63; 1 blue, 2 green)."""
    offset = 8 + slot * 24 + 8
    with open(f"/dev/shm/{shm}", "r+b") as f:
        f.seek(offset)
        word = struct.unpack("<Q", f.read(8))[0]
        generation = (word >> 32) + 1
        f.seek(offset)
        f.write(struct.pack("<Q", active | (pending << 2) | (generation << 32)))


def shared_state_tests(cli, server, shm):
    env = t.base_env(server.port)
    endpoint = f"127.0.0.1:{server.port}/"
    shared = dict(env, E6DATA_STRATEGY_SHARED_STATE=shm)

    out = run(cli, ["inspect", "--shared-state", shm], env)
    check(out.returncode == 1 and "does not exist" in out.stderr,
          f"inspect --shared-state of a missing file: exit 1 naming it: {out.returncode} "
          f"{out.stderr}")
    check(not os.path.exists(f"/dev/shm/{shm}"), "inspecting does not create the file")

    # An application process sharing the file: it detects blue and writes it there.
    out = run(cli, ["query", "-c", "select 1"], shared)
    check(out.returncode == 0, f"a query joins the shared file: {out.stderr}")
    st = os.stat(f"/dev/shm/{shm}")
    check(st.st_mode & 0o777 == 0o600, f"the connector creates it 0600: {oct(st.st_mode)}")
    before = open(f"/dev/shm/{shm}", "rb").read()

    out = run(cli, ["inspect", "--shared-state", shm], env)
    check(out.returncode == 0 and f"/dev/shm/{shm}: 1 endpoint slot" in out.stdout
          and endpoint in out.stdout and "| blue " in out.stdout,
          f"inspect --shared-state prints the slot: {out.stdout} {out.stderr}")
    code, state = slots_of(cli, env, f"/dev/shm/{shm}")
    slot = (state.get("slots") or [{}])[0]
    check(code == 0 and state.get("file") == f"/dev/shm/{shm}" and slot.get("endpoint") == endpoint
          and slot.get("active") == "blue" and slot.get("pending") == ""
          and 0 <= slot.get("seconds_since_check", -1) < 60,
          f"--json, the file given as a path: {state}")
    check(open(f"/dev/shm/{shm}", "rb").read() == before, "inspecting writes nothing")
    out = run(cli, ["inspect", f"e6data://tester@127.0.0.1:{server.port}", "--shared-state", shm],
              env)
    check(out.returncode == 2, f"--shared-state with a URI is a usage error: {out.stderr}")

    # --- strategy clear ---
    out = run(cli, ["strategy", "clear", "--shared-state", shm], env)
    check(out.returncode == 2 and "add --yes" in out.stderr,
          f"off a terminal, clear needs --yes: {out.returncode} {out.stderr}")
    check(slots_of(cli, env, shm)[1]["slots"][0]["active"] == "blue", "and changed nothing")
    no_token = {k: v for k, v in shared.items() if k not in ("E6DATA_PASSWORD", "E6DATA_USERNAME")}
    out = run(cli, ["strategy", "clear", "--yes"], no_token)
    check(out.returncode == 0 and "cleared" in out.stdout and endpoint in out.stdout,
          f"clear --yes (the file from E6DATA_STRATEGY_SHARED_STATE, no token needed): "
          f"{out.returncode} {out.stdout} {out.stderr}")
    slot = slots_of(cli, env, shm)[1]["slots"][0]
    check(slot["active"] == "" and slot["seconds_since_check"] == -1,
          f"the slot is forgotten for every process: {slot}")
    out = run(cli, ["strategy", "clear", "--yes", "--shared-state", shm], env)
    check(out.returncode == 0 and "nothing to clear" in out.stdout,
          f"clearing again: nothing to clear, exit 0: {out.stdout}")
    out = run(cli, ["query", "-c", "select 2"], shared)
    check(out.returncode == 0 and out.stdout == "2\n2\n", f"the next process detects: {out.stderr}")
    check(slots_of(cli, env, shm)[1]["slots"][0]["active"] == "blue", "and writes blue again")

    # --- strategy apply-pending ---
    out = run(cli, ["strategy", "apply-pending", "--yes", "--shared-state", shm], env)
    check(out.returncode == 1 and "no switch is pending" in out.stdout,
          f"apply-pending with nothing pending: exit 1: {out.returncode} {out.stdout}")
    out = run(cli, ["monitor", "--shared-state", f"{shm}-absent"], env)
    check(out.returncode == 1 and "does not exist" in out.stderr,
          f"monitor --shared-state of a missing file: exit 1: {out.stderr}")
    monitor = subprocess.Popen([cli, "monitor", "--shared-state", shm, "--jsonl", "--interval",
                                "0.05"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, stdin=subprocess.DEVNULL)
    time.sleep(0.5)
    write_word(shm, slot["slot"], active=1, pending=2)  # a switch to green announced
    time.sleep(0.3)
    slot = slots_of(cli, env, shm)[1]["slots"][0]
    check(slot["pending"] == "green" and not slot["pending_confirmed"],
          f"inspect shows the pending switch: {slot}")
    out = run(cli, ["strategy", "apply-pending", "--shared-state", shm], env)
    check(out.returncode == 2 and "add --yes" in out.stderr, "apply-pending needs --yes too")
    out = run(cli, ["strategy", "apply-pending", "--yes", "--shared-state", shm], env)
    after = slots_of(cli, env, shm)[1]["slots"][0]
    check(out.returncode == 0 and "applied" in out.stdout and after["active"] == "green"
          and after["pending"] == "" and after["generation"] > slot["generation"],
          f"apply-pending makes green active: {out.stdout} {out.stderr} {after}")
    # A process sharing the file now sends new work to green (a standalone dev server serves
    # whatever the header names; the router of a blue-green cluster is what refuses with 456).
    out = run(cli, ["query", "-c", "select 3"], shared)
    check(out.returncode == 0 and out.stdout == "3\n3\n", f"queries still run: {out.stderr}")
    time.sleep(0.3)
    monitor.send_signal(signal.SIGINT)
    try:
        monitor_out, monitor_err = monitor.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        monitor.kill()
        monitor_out, monitor_err = monitor.communicate()
    t.outputs.extend([monitor_out, monitor_err])
    try:
        events = [json.loads(line) for line in monitor_out.splitlines()]
    except ValueError:
        events = []
    kinds = [e.get("event") for e in events]
    check(kinds[:3] == ["start", "switch-announced", "switch-completed"]
          and events[0]["endpoint"] == endpoint and events[1]["pending"] == "green"
          and events[2]["active"] == "green" and events[-1].get("summary")
          and events[-1].get("switches") == 1 and len(events[-1].get("switch_seconds")) == 1
          and monitor.returncode == 130,
          f"monitor --shared-state sees the switch announced and applied, and sums it up: "
          f"{monitor.returncode} {monitor_out} {monitor_err}")
    out = run(cli, ["strategy", "clear", "--yes", "--host", "127.0.0.1", "--port", "1",
                    "--shared-state", shm], env)
    check(out.returncode == 0 and "no slot for 127.0.0.1:1/" in out.stdout,
          f"another endpoint has no slot: {out.stdout}")
    out = run(cli, ["strategy", "clear", "--yes"], env)
    check(out.returncode == 2 and "no shared strategy file" in out.stderr,
          f"without a shared file there is nothing to act on: {out.stderr}")
    out = run(cli, ["strategy", "clear", "--yes", "--shared-state", "/tmp/x"], env)
    check(out.returncode == 2 and "/dev/shm" in out.stderr, f"only /dev/shm: {out.stderr}")

    # --- files not safe to trust ---
    os.chmod(f"/dev/shm/{shm}", 0o666)
    out = run(cli, ["inspect", "--shared-state", shm], env)
    check(out.returncode == 1 and "unsafe mode" in out.stderr and "0666" in out.stderr
          and out.stdout == "", f"a world-writable file is refused: {out.stderr}")
    code, state = slots_of(cli, env, shm)
    check(code == 1 and state.get("reason") == "unsafe mode", f"--json says why: {state}")
    out = run(cli, ["strategy", "clear", "--yes", "--shared-state", shm], env)
    check(out.returncode == 1 and "unsafe mode" in out.stderr, f"and not written: {out.stderr}")
    out = run(cli, ["query", "-c", "select 4"], dict(shared, E6DATA_LOG_LEVEL="warning"))
    check(out.returncode == 0 and "unusable" in out.stderr,
          f"the connector refuses to join it and keeps its strategy in-process: {out.stderr}")
    os.chmod(f"/dev/shm/{shm}", 0o600)
    if os.geteuid() == 0:
        os.chown(f"/dev/shm/{shm}", 12345, 12345)
        out = run(cli, ["inspect", "--shared-state", shm], env)
        check(out.returncode == 1 and "untrusted owner" in out.stderr
              and "uid 12345" in out.stderr, f"another user's file is refused: {out.stderr}")
        os.chown(f"/dev/shm/{shm}", 0, 0)
    os.symlink(f"/dev/shm/{shm}", f"/dev/shm/{shm}-link")
    try:
        out = run(cli, ["inspect", "--shared-state", f"{shm}-link"], env)
        check(out.returncode == 1 and "symbolic link" in out.stderr, f"a link: {out.stderr}")
    finally:
        os.remove(f"/dev/shm/{shm}-link")
    out = run(cli, ["inspect", "--shared-state", shm], env)
    check(out.returncode == 0, f"trusted again once fixed: {out.stderr}")
    out = run(cli, ["strategy", "clear", "--yes", "--shared-state", shm], env)
    check(out.returncode == 0 and "cleared" in out.stdout,
          f"cleared again (green was applied above; this server is blue): {out.stdout}")
    for sub in [["strategy", "clear"], ["strategy", "apply-pending"]]:
        out = run(cli, [*sub, "--help"], env)
        check(out.returncode == 0 and "Examples:" in out.stdout, f"{sub} --help has examples")


def cluster_tests(cli, server):
    """cluster status|resume|suspend against a standalone dev server: always active, and it
    refuses to be suspended (the blue-green test suspends and resumes a real router)."""
    env = t.base_env(server.port)
    out = run(cli, ["cluster", "status"], env)
    check(out.returncode == 0 and out.stdout == f"cluster at 127.0.0.1:{server.port}: active\n",
          f"cluster status: {out.returncode} {out.stdout!r} {out.stderr}")
    out = run(cli, ["cluster", "status", "--json", "--cluster-name", "Prod"], env)
    try:
        state = json.loads(out.stdout)
        check(state["action"] == "status" and state["status"] == "active"
              and state["seconds"] >= 0, f"cluster status --json: {state}")
    except (ValueError, KeyError):
        check(False, f"cluster status --json parses: {out.stdout!r}")
    out = run(cli, ["cluster", "resume"], env)
    check(out.returncode == 0 and ": active (resume asked" in out.stdout, f"resume: {out.stdout}")
    out = run(cli, ["cluster", "resume", "--wait"], env)
    check(out.returncode == 0 and ": active (waited" in out.stdout, f"resume --wait: {out.stdout}")
    out = run(cli, ["cluster", "suspend"], env)
    check(out.returncode == 2 and "add --yes" in out.stderr,
          f"suspend off a terminal needs --yes: {out.returncode} {out.stderr}")
    out = run(cli, ["cluster", "suspend", "--yes"], env)
    check(out.returncode == 1 and "cannot be suspended" in out.stderr
          and "query error" in out.stderr,
          f"a refused suspend: exit 1 with the kind and the server's reason: {out.stderr}")
    out = run(cli, ["cluster", "suspend", "--yes", "--json"], env)
    try:
        check(out.returncode == 1 and json.loads(out.stdout)["kind"] == "query",
              f"--json error: {out.stdout}")
    except (ValueError, KeyError):
        check(False, f"cluster suspend --json error parses: {out.stdout!r}")
    out = run(cli, ["cluster", "status"], t.base_env(server.port, token="wrong-token"))
    check(out.returncode == 1 and "authentication error" in out.stderr,
          f"a wrong token: {out.stderr}")
    out = run(cli, ["cluster"], env)
    check(out.returncode == 2, f"cluster without an action is a usage error: {out.stderr}")
    for sub in ["status", "resume", "suspend"]:
        out = run(cli, ["cluster", sub, "--help"], env)
        check(out.returncode == 0 and "Examples:" in out.stdout, f"cluster {sub} --help")


def encodings(secret):
    """Every way the secret could be written into a file."""
    raw = secret.encode()
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             urllib.parse.quote(secret, safe="").lower(), raw.hex(), raw.hex().upper(),
             json.dumps(secret)[1:-1]}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        full = encode(raw).decode()
        forms.update({full, full.rstrip("=")})
        for shift in range(3):  # inside a longer encoded text, at each byte alignment
            enc = encode(b"\0" * shift + raw).decode()
            begin = 0 if shift == 0 else 4
            end = 4 * ((shift + len(raw)) // 3)
            forms.add(enc[begin:end])
    return {f for f in forms if len(f) >= 4}


def leaks(files, secrets):
    """[(file, form)] for every encoded secret found in any file (as bytes and as text)."""
    found = []
    for name, data in files.items():
        text = data.decode("utf-8", "replace")
        for secret in secrets:
            for form in encodings(secret):
                if form in text or form.encode() in data:
                    found.append((name, form))
    return found


def support_bundle_tests(cli, server, shm, scratch):
    log = os.path.join(scratch, "app.log")
    basic = base64.b64encode(f"bundler:{BUNDLE_TOKEN}".encode()).decode()
    with open(log, "w") as f:
        # An application that logged its secrets, in every encoding: none may reach the bundle.
        f.write("\n".join([
            "2026-01-01 earlier line, long before",
            f"plain token {BUNDLE_TOKEN} and {OTHER_SECRET}",
            f"Authorization: Basic {basic}",
            f"uri e6data://bundler:{urllib.parse.quote(BUNDLE_TOKEN, safe='')}@host:443",
            f"hex {BUNDLE_TOKEN.encode().hex()} {OTHER_SECRET.encode().hex().upper()}",
            f"json {json.dumps({'password': BUNDLE_TOKEN})}",
            f"b64 {base64.b64encode(b'x' + BUNDLE_TOKEN.encode()).decode()} "
            f"{base64.urlsafe_b64encode(b'xy' + OTHER_SECRET.encode()).decode()}",
            "the last line\n"]))
    in_log = {form for _, form in leaks({"log": open(log, "rb").read()},
                                        [BUNDLE_TOKEN, OTHER_SECRET])}
    check(len(in_log) >= 8, f"the detector finds the secrets the log holds: {len(in_log)} forms")
    env = {k: v for k, v in t.base_env(server.port).items()}
    env.update({"E6DATA_USERNAME": "bundler", "E6DATA_PASSWORD": BUNDLE_TOKEN,
                "E6DATA_LOG_OUTPUT": log, "E6DATA_STRATEGY_SHARED_STATE": shm,
                "E6DATA_EXTRA_API_TOKEN": OTHER_SECRET})
    archive = os.path.join(scratch, "bundle.tar.gz")
    out = run(cli, ["support-bundle", "-o", archive, "--count", "2"], env)
    check(out.returncode == 0 and f"wrote {archive}" in out.stdout
          and "2 of 2 attempts succeeded, deployment blue" in out.stdout,
          f"support-bundle writes the archive: {out.returncode} {out.stdout} {out.stderr}")
    check(os.stat(archive).st_mode & 0o777 == 0o600, "the archive is private (0600)")
    files = {}
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        for member in tar.getmembers():
            if member.isfile():
                files[member.name.split("/", 1)[1]] = tar.extractfile(member).read()
    root = names[0].rstrip("/") if names else ""
    check(root.startswith("e6data-support-") and all(n.startswith(root) for n in names),
          f"one directory inside: {names}")
    expected = {"README.txt", "summary.txt", "platform.json", "options.txt", "environment.txt",
                "warnings.txt", "connection-test.txt", "strategy.json", "shared-state.json",
                "logs/app.log"}
    check(set(files) == expected, f"the bundle's files: {sorted(files)}")
    readme = files.get("README.txt", b"").decode()
    check(all(name.split("/")[0] in readme for name in expected),
          "the README says what every file is")
    found = leaks(files, [BUNDLE_TOKEN, OTHER_SECRET])
    check(not found, f"no secret in any file in any encoding: {found[:5]}")
    check(not leaks({"stdout": out.stdout.encode(), "stderr": out.stderr.encode()},
                    [BUNDLE_TOKEN, OTHER_SECRET]), "nor in the program's output")
    try:
        platform = json.loads(files["platform.json"])
        check(platform["e6data_cli"] and platform["grpc"] and platform["protobuf"]
              and platform["os"]["kernel"].startswith("Linux") and platform["compiler"],
              f"platform.json: {platform}")
        strategy = json.loads(files["strategy.json"])
        check(strategy["active"] == "blue" and strategy["counters"]["detections"] >= 1,
              f"strategy.json: {strategy}")
        shared = json.loads(files["shared-state.json"])
        check(shared["file"] == f"/dev/shm/{shm}" and isinstance(shared["slots"], list)
              and any(s["endpoint"] == f"127.0.0.1:{server.port}/" for s in shared["slots"]),
              f"shared-state.json has the host's slots: {shared}")
    except (KeyError, ValueError) as e:
        check(False, f"the JSON files parse: {e}")
    environment = files["environment.txt"].decode()
    check("E6DATA_PASSWORD=***\n" in environment and "E6DATA_EXTRA_API_TOKEN=***\n" in environment
          and f"E6DATA_LOG_OUTPUT={log}\n" in environment, f"environment.txt: {environment}")
    options = files["options.txt"].decode()
    check("password=***\n" in options and "username=\"bundler\"" in options
          and f"port={server.port}\n" in options, f"options.txt: {options}")
    test = files["connection-test.txt"].decode()
    check("2 attempts: 2 succeeded, 0 failed" in test and test.count("deployment blue") == 2,
          f"connection-test.txt: {test}")
    logs = files["logs/app.log"].decode()
    check("the last line" in logs and logs.count("[REDACTED]") >= 8,
          f"logs/app.log: the end of the log, scrubbed: {logs}")

    # --directory, and a failed connection test that is recorded, not fatal.
    directory = os.path.join(scratch, "bundle-dir")
    closed = dict(env, E6DATA_PORT="1")
    out = run(cli, ["support-bundle", "--directory", "-o", directory, "--count", "1",
                    "--timeout", "5"], closed)
    check(out.returncode == 0 and os.path.isdir(directory)
          and os.stat(directory).st_mode & 0o777 == 0o700,
          f"--directory writes a private directory: {out.returncode} {out.stderr}")
    dir_files = {}
    for base, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(base, name)
            dir_files[os.path.relpath(path, directory)] = open(path, "rb").read()
            check(os.stat(path).st_mode & 0o777 == 0o600, f"{path} is 0600")
    check(set(dir_files) == expected, f"the same files: {sorted(dir_files)}")
    check("FAILED after" in dir_files.get("connection-test.txt", b"").decode()
          and "connection:" in dir_files.get("connection-test.txt", b"").decode(),
          f"the failed attempt is recorded with its kind: {dir_files.get('connection-test.txt')}")
    check(not leaks(dir_files, [BUNDLE_TOKEN, OTHER_SECRET]), "no secret in the directory either")
    out = run(cli, ["support-bundle", "--directory", "-o", directory], closed)
    check(out.returncode == 2 and "exists" in out.stderr, f"never over an old bundle: {out.stderr}")

    # No token anywhere and no terminal: the bundle is still made, saying why nothing connected.
    no_token = {k: v for k, v in env.items() if k != "E6DATA_PASSWORD"}
    archive2 = os.path.join(scratch, "bundle2.tar.gz")
    out = run(cli, ["support-bundle", "-o", archive2], no_token)
    with tarfile.open(archive2, "r:gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/connection-test.txt"))
        text = tar.extractfile(member).read().decode()
    check(out.returncode == 0 and "not run: cannot connect: no access token" in text,
          f"without a token: {out.returncode} {text} {out.stderr}")
    out = run(cli, ["support-bundle", "--help"], env)
    check(out.returncode == 0 and "Examples:" in out.stdout, "support-bundle --help")


if __name__ == "__main__":
    sys.exit(main())
