#!/usr/bin/env bash
# Fuzzes nestlint: bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Installs what it needs (rustup's nightly toolchain, cargo-fuzz from crates.io), seeds each
# target's corpus with the fixtures and the example app, and runs every target for
# SECONDS_PER_TARGET (default 30). A crash or a timeout fails the script and is kept as a
# regression input under fuzz/regressions/<target>/, which `cargo test` replays on stable Rust
# (tests/mutations.rs). See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(lint_and_fix nest_shapes)
fi

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# Seeds: every fixture and example file, named by content (fixtures share names).
mkdir -p corpus/lint_and_fix
find ../fixtures ../examples -name '*.ts' -type f -print0 |
  while IFS= read -r -d '' file; do
    cp "$file" "corpus/lint_and_fix/seed-$(sha1sum "$file" | cut -c1-16)"
  done
mkdir -p corpus/nest_shapes

status=0
for target in "${targets[@]}"; do
  last_input="$(mktemp -d)"
  rm -rf "artifacts/$target"
  mkdir -p "artifacts/$target"
  echo "fuzz: $target for ${seconds}s"
  if ! NESTLINT_FUZZ_LAST_INPUT="$last_input" cargo +nightly fuzz run "$target" \
      -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -dict=dict/typescript.dict -print_final_stats=1; then
    if ! compgen -G "artifacts/$target/*" >/dev/null; then
      echo "fuzz: $target did not run (it left no fault input behind)" >&2
      exit 2
    fi
    status=1
    mkdir -p "regressions/$target"
    for artifact in "artifacts/$target"/*; do
      [ -f "$artifact" ] || continue
      name="$(basename "$artifact")"
      if [ "$target" = nest_shapes ]; then
        # Keep the rendered file the structured input became: that is what tests replay.
        for rendered in "$last_input"/*; do
          [ -f "$rendered" ] && cp "$rendered" "regressions/$target/$name.${rendered##*.}"
        done
      else
        cp "$artifact" "regressions/$target/$name"
      fi
    done
    echo "fuzz: $target found a fault; the input is kept in fuzz/regressions/$target/" >&2
  fi
  rm -rf "$last_input"
done
exit "$status"
