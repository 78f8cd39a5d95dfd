#!/usr/bin/env bash
# Benchmarks nestlint on generated NestJS projects of about 1k and 10k files: the full run against a
# parse-only pass (same discovery, reading and parsing; no rules, no facts), so the cost of the
# rules is visible. Reports the best wall time of RUNS (the two modes run in turn, so both see the
# same machine), files/s, MB/s, peak memory and the ratio of the two modes.
# usage: bench/run.sh [RUNS]   (needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q
# The target directory cargo uses (CARGO_TARGET_DIR, or build.target-dir in a cargo config).
target_dir=$(cargo metadata --no-deps --format-version 1 --offline |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin=$target_dir/release/nestlint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-8s %-11s %8s %9s %8s %8s %9s %6s\n' files mode wall_ms files/s MB/s peak_MB findings ratio
for features in 200 2000; do
  dir="$work/p$features"
  python3 bench/generate.py "$dir" "$features"
  python3 - "$bin" "$dir" "$runs" <<'PY'
import os, subprocess, sys, time
binary, project, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(project, "src")) for f in fs if f.endswith(".ts")]
size = sum(os.path.getsize(f) for f in files)
modes = {"parse-only": ["--parse-only"], "full": []}
best = {mode: float("inf") for mode in modes}
peak = {mode: 0 for mode in modes}
findings = {}
for _ in range(runs):
    for mode, flags in modes.items():
        started = time.perf_counter()
        child = subprocess.Popen([binary, "--no-cache", "--format", "concise", *flags, project], stdout=subprocess.PIPE)
        out = child.stdout.read()
        _, _, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        best[mode] = min(best[mode], elapsed)
        peak[mode] = max(peak[mode], usage.ru_maxrss)  # KiB on Linux
        findings[mode] = out.count(b"\n")
for mode in modes:
    secs = best[mode]
    ratio = f"{best['full'] / best['parse-only']:.2f}" if mode == "full" else ""
    print(f"{len(files):<8} {mode:<11} {secs * 1000:>8.1f} {len(files) / secs:>9.0f} "
          f"{size / secs / 1e6:>8.1f} {peak[mode] / 1024:>8.1f} {findings[mode]:>9} {ratio:>6}")
PY
done
