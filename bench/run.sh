#!/usr/bin/env bash
# Benchmarks nestlint on generated NestJS projects of about 1k and 10k files: the full run against a
# parse-only pass (same discovery, reading and parsing; no rules, no facts), so the cost of the
# rules is visible. Reports wall time, files/s, MB/s and peak memory (best of RUNS).
# usage: bench/run.sh [RUNS]   (needs python3 and GNU time at /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q
bin=target/release/nestlint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-8s %-11s %7s %9s %8s %8s %9s\n' files mode wall_ms files/s MB/s peak_MB findings
for features in 200 2000; do
  dir="$work/p$features"
  python3 bench/generate.py "$dir" "$features"
  files=$(find "$dir/src" -name '*.ts' | wc -l)
  bytes=$(find "$dir/src" -name '*.ts' -print0 | xargs -0 cat | wc -c)
  for mode in parse-only full; do
    flag=""; [ "$mode" = parse-only ] && flag="--parse-only"
    best_ms=""; best_kb=""
    for _ in $(seq "$runs"); do
      /usr/bin/time -f '%e %M' -o "$work/t" "$bin" --format concise $flag "$dir" > "$work/out" || true
      read -r secs kb < <(tail -n 1 "$work/t")
      ms=$(python3 -c "print(int(float('$secs')*1000))")
      if [ -z "$best_ms" ] || [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; fi
      if [ -z "$best_kb" ] || [ "$kb" -gt "$best_kb" ]; then best_kb=$kb; fi
    done
    findings=$(wc -l < "$work/out")
    python3 - "$files" "$mode" "$best_ms" "$bytes" "$best_kb" "$findings" <<'PY'
import sys
files, mode, ms, size, kb, findings = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
secs = max(ms, 1) / 1000
print(f"{files:<8} {mode:<11} {ms:>7} {int(files)/secs:>9.0f} {size/secs/1e6:>8.1f} {kb/1024:>8.1f} {findings:>9}")
PY
  done
done
