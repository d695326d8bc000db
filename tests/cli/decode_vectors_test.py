#!/usr/bin/env python3
"""e6data-cli decode against every public wire vector.

Chunks and metadata: `decode --json` must print exactly the vector's `truth` and exit 0, and the
table form must exit 0. Malformed inputs: `decode --json` must print {"error": "..."} and exit 1
(with --expect-columns when the vector names a metadata field count), and the table form must
exit 1 with a message on stderr and nothing on stdout.

Usage: decode_vectors_test.py E6DATA_CLI VECTORS_DIR
"""
import json
import subprocess
import sys
from pathlib import Path


def run(cli, args):
    return subprocess.run([cli, "decode", *args], capture_output=True, timeout=60)


def check(cli, root, entry):
    spec = json.loads((root / entry["json"]).read_text())
    path = str(root / entry["bin"])
    group = entry["group"]
    if group in ("chunks", "metadata"):
        flags = ["--metadata"] if group == "metadata" else []
        out = run(cli, [*flags, "--json", path])
        if out.returncode != 0:
            return f"exit {out.returncode}: {out.stdout.decode()[:300]}"
        got = json.loads(out.stdout)
        if got != spec["truth"]:
            return f"output differs from truth: {out.stdout.decode()[:300]}"
        table = run(cli, [*flags, path])
        if table.returncode != 0 or not table.stdout:
            return f"table form failed: exit {table.returncode} {table.stderr.decode()[:300]}"
        return None
    flags = ["--metadata"] if spec["input_kind"] == "metadata" else []
    if "metadata_field_count" in spec:
        flags += ["--expect-columns", str(spec["metadata_field_count"])]
    out = run(cli, [*flags, "--json", path])
    if out.returncode != 1:
        return f"expected exit 1, got {out.returncode}: {out.stdout.decode()[:300]}"
    got = json.loads(out.stdout)
    if set(got) != {"error"} or not isinstance(got["error"], str) or not got["error"]:
        return f"expected {{\"error\": ...}}, got {out.stdout.decode()[:300]}"
    table = run(cli, [*flags, path])
    if table.returncode != 1 or table.stdout or not table.stderr:
        return f"table form: expected exit 1 and a message on stderr, got exit {table.returncode}"
    return None


def main():
    cli, root = sys.argv[1], Path(sys.argv[2])
    index = json.loads((root / "index.json").read_text())
    passed = failed = 0
    for entry in index["vectors"]:
        problem = check(cli, root, entry)
        if problem:
            failed += 1
            print(f"FAIL {entry['group']}/{entry['name']}: {problem}")
        else:
            passed += 1
    # A chunk checked against the wrong column count is refused too.
    out = run(cli, ["--json", "--expect-columns", "5", str(root / "chunks/long_values.bin")])
    if out.returncode == 1 and "error" in json.loads(out.stdout):
        passed += 1
    else:
        failed += 1
        print("FAIL --expect-columns 5 on a 1-column batch was accepted")
    # A missing file is an error in the same shape.
    out = run(cli, ["--json", str(root / "no-such-file.bin")])
    if out.returncode == 1 and "error" in json.loads(out.stdout):
        passed += 1
    else:
        failed += 1
        print("FAIL a missing file did not give {\"error\"} and exit 1")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
