#!/usr/bin/env python3
"""Checks, on a real app, that a warm run after a small edit reports exactly what a cold run does.

    python3 bench/moved.py DIR [--edits N] [--seed S] [--binary BIN]

Warms a cache for DIR (in a temporary directory), then, N times: edits one TypeScript file chosen
at random (a comment above everything, a blank line, or a space anywhere: edits that often only
move a file's facts, and sometimes change them), runs nestlint with the cache and without it,
compares the two JSON reports, and puts the file back. Reports how many warm runs kept the
recorded project findings ("facts only moved") and how many ran the project pass, and exits 1 on
any difference. The files are restored even when a run fails.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile


def report(binary, directory, cache):
    args = [binary, "--format", "json", "."]
    args += ["--cache-dir", cache] if cache else ["--no-cache"]
    env = dict(os.environ, NESTLINT_TIMINGS="1")
    done = subprocess.run(args, cwd=directory, capture_output=True, text=True, env=env)
    if done.returncode not in (0, 1):
        sys.exit(f"nestlint failed ({done.returncode}): {done.stderr[-2000:]}")
    findings = json.loads(done.stdout)
    findings.pop("summary", None)
    return json.dumps(findings, sort_keys=True), done.stderr


def edited(text, rng):
    kind = rng.choice(["comment above", "blank line", "space"])
    if kind == "comment above":
        return kind, "// edited\n" + text
    if kind == "blank line":
        lines = text.split("\n")
        lines.insert(rng.randrange(len(lines) + 1), "")
        return kind, "\n".join(lines)
    at = rng.randrange(len(text) + 1)
    return kind, text[:at] + " " + text[at:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--edits", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "nestlint"))
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    rng = random.Random(args.seed)
    files = sorted(
        os.path.join(root, name)
        for root, dirs, names in os.walk(args.directory)
        if "node_modules" not in root.split(os.sep) and "/." not in root
        for name in names
        if name.endswith(".ts") and not name.endswith(".d.ts")
    )
    counts = {"facts only moved": 0, "project pass ran": 0, "different": 0}
    with tempfile.TemporaryDirectory() as cache:
        report(binary, args.directory, cache)
        for path in rng.sample(files, min(args.edits, len(files))):
            with open(path, "rb") as handle:
                original = handle.read()
            kind, text = edited(original.decode("utf-8", "replace"), rng)
            try:
                with open(path, "w") as handle:
                    handle.write(text)
                warm, stderr = report(binary, args.directory, cache)
                cold, _ = report(binary, args.directory, None)
            finally:
                with open(path, "wb") as handle:
                    handle.write(original)
            counts["facts only moved" if "facts only moved" in stderr else "project pass ran"] += 1
            if warm != cold:
                counts["different"] += 1
                print(f"DIFFERENT: {os.path.relpath(path, args.directory)} ({kind})")
    print(f"{args.directory}: {counts}")
    sys.exit(1 if counts["different"] else 0)


if __name__ == "__main__":
    main()
