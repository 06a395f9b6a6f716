#!/usr/bin/env bash
# CI fuzz step (issue 7, Tests): build the cargo-fuzz targets of fuzz/ and run each one for
# FUZZ_SECONDS (default 20) from its committed seed corpus (fuzz/corpus/<target>/). New corpus
# entries go to a temporary directory (the repository keeps only the seeds); a crash, a failed
# invariant, a timeout (> 10 s for one input) or an out-of-memory (> 2 GiB) fails the step,
# with the input saved under fuzz/artifacts/<target>/ and printed as a reproduction command.
#
# cargo-fuzz needs nightly compiler flags; on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
# The targets are built without a sanitizer (`-s none`): the code under test is safe Rust, so
# what the fuzzer looks for are panics, failed assertions, stack overflows, hangs and memory
# blow-ups, which libFuzzer detects without ASan (and runs about twice as fast).
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${FUZZ_SECONDS:-20}"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

(cd fuzz && cargo fmt -- --check)
cargo fuzz build -s none -O -a
failed=()
for target in $(cargo fuzz list); do
  work="$(mktemp -d)"
  log="$work.log"
  echo "== fuzz $target for ${secs}s"
  status=0
  cargo fuzz run -s none -O -a "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 ||
    status=$?
  # The summary (executions, coverage, corpus) or, on failure, the whole report.
  if [ "$status" -eq 0 ]; then
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" || true
  else
    tail -n 80 "$log"
    failed+=("$target")
  fi
  rm -rf "$work" "$log"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz targets failed: ${failed[*]} (inputs under fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets ran ${secs}s without a failure"
