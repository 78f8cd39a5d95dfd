#!/usr/bin/env python3
"""Benchmarks nestlint on any directory (a checked-out real app), as a user runs it there.

    python3 bench/real.py DIR [--target PATH] [--runs N] [--binary BIN]

Runs from DIR, linting PATH (default `.`), and reports, as medians of N runs with the modes
interleaved (each round runs every mode once, so all see the same machine):

- cold: a full run with no cache (`--no-cache`), 2 threads and 1 thread;
- parse-only: discovery, reading and parsing, no rules, no facts (the baseline);
- warm: a full run whose cache holds every file, with nothing changed;
- warm, one file changed: the same, after appending a comment to one linted file (restored after);
- peak memory of each mode (maximum resident set, from wait4).

Then the ratios the targets are stated in: cold / parse-only, cold 1 thread / cold 2 threads.
The findings of every mode must be the same (the script checks it, parse-only aside).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build():
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=REPO, check=True)
    metadata = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=REPO, check=True, capture_output=True, text=True).stdout
    import json
    return os.path.join(json.loads(metadata)["target_directory"], "release", "nestlint")


def timed(binary, cwd, args):
    started = time.perf_counter()
    child = subprocess.Popen([binary, "--format", "concise", *args], cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"nestlint {' '.join(args)} exited {code}")
    return elapsed, usage.ru_maxrss / 1024, out


def a_linted_file(directory, target):
    root = os.path.join(directory, target)
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("node_modules", ".git", "dist"))
        for name in sorted(files):
            if name.endswith(".service.ts") or name.endswith(".controller.ts"):
                return os.path.join(base, name)
    sys.exit(f"no service or controller file under {root}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--target", default=".")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--binary")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary) if args.binary else build()
    directory = os.path.abspath(args.directory)
    cache = tempfile.mkdtemp(prefix="nestlint-bench-cache-")
    cached = ["--cache-dir", cache]
    changed_file = a_linted_file(directory, args.target)
    with open(changed_file, "rb") as handle:
        original = handle.read()
    target = [args.target]
    # Fill the cache once.
    timed(binary, directory, [*cached, "--threads", "2", *target])
    modes = {
        "cold, 2 threads": ["--no-cache", "--threads", "2"],
        "cold, 1 thread": ["--no-cache", "--threads", "1"],
        "parse-only, 2 threads": ["--no-cache", "--parse-only", "--threads", "2"],
        "warm, nothing changed": [*cached, "--threads", "2"],
        "warm, one file changed": [*cached, "--threads", "2"],
    }
    times = {mode: [] for mode in modes}
    peaks = {mode: 0.0 for mode in modes}
    outputs = {}
    try:
        for round_number in range(args.runs):
            for mode, flags in modes.items():
                if mode == "warm, one file changed":
                    # A different edit each round, so that the file is never in the cache.
                    with open(changed_file, "wb") as handle:
                        handle.write(original + f"\n// bench edit {round_number}\n".encode())
                elapsed, peak, out = timed(binary, directory, [*flags, *target])
                if mode == "warm, one file changed":
                    with open(changed_file, "wb") as handle:
                        handle.write(original)
                    # Back to a cache that holds every file as it is (not measured).
                    timed(binary, directory, [*cached, "--threads", "2", *target])
                times[mode].append(elapsed)
                peaks[mode] = max(peaks[mode], peak)
                outputs.setdefault(mode, out)
    finally:
        with open(changed_file, "wb") as handle:
            handle.write(original)
    reference = outputs["cold, 2 threads"]
    for mode, out in outputs.items():
        if mode != "parse-only, 2 threads" and out != reference:
            sys.exit(f"findings differ between 'cold, 2 threads' and '{mode}'")
    median = {mode: statistics.median(values) for mode, values in times.items()}
    print(f"{directory} ({args.target}), medians of {args.runs}, changed file: "
          f"{os.path.relpath(changed_file, directory)}")
    print(f"{'mode':<26} {'wall s':>8} {'peak MB':>8}")
    for mode in modes:
        print(f"{mode:<26} {median[mode]:>8.3f} {peaks[mode]:>8.0f}")
    print(f"cold / parse-only (2 threads): {median['cold, 2 threads'] / median['parse-only, 2 threads']:.2f}")
    print(f"cold 1 thread / cold 2 threads: {median['cold, 1 thread'] / median['cold, 2 threads']:.2f}")
    lines = reference.count(b"\n")
    print(f"findings: {lines} lines, the same in every mode")


if __name__ == "__main__":
    main()
