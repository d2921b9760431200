#!/usr/bin/env bash
# Runs every fuzz target of quorate for a bounded time each.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]     (default 20)
#
# Each target starts from a fresh corpus made of tests/fuzz/seeds/<target>
# (if any). Crashing inputs are left in tests/fuzz/artifacts/<target>/ (not
# in git); the script exits non-zero if any target crashed or failed to run.
# Builds with the stable toolchain through RUSTC_BOOTSTRAP=1 (cargo-fuzz
# needs nightly flags), into ${QUORATE_FUZZ_TARGET_DIR:-~/.cache/quorate-fuzz-target}.
set -euo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CARGO_TARGET_DIR="${QUORATE_FUZZ_TARGET_DIR:-$HOME/.cache/quorate-fuzz-target}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "Installing cargo-fuzz…"
    cargo install cargo-fuzz --locked
fi

cd "$fuzz_dir"
mapfile -t targets < <(cargo fuzz list --fuzz-dir "$fuzz_dir")
if [ "${#targets[@]}" -eq 0 ]; then
    echo "no fuzz targets found in $fuzz_dir/fuzz_targets" >&2
    exit 1
fi

echo "Building ${#targets[@]} fuzz targets (the first build takes a long time)…"
cargo fuzz build --fuzz-dir "$fuzz_dir"

failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    rm -rf "$corpus"
    mkdir -p "$corpus" "$fuzz_dir/artifacts/$target"
    if [ -d "$fuzz_dir/seeds/$target" ]; then
        cp -R "$fuzz_dir/seeds/$target/." "$corpus/"
    fi
    log="$(mktemp)"
    echo "== $target: ${seconds}s"
    status=0
    # -max_total_time stops libFuzzer between inputs; -timeout flags a
    # single slow input as a failure; `timeout` is the last resort (with
    # room for `cargo fuzz run` rebuilding a target it finds stale).
    timeout --kill-after=30 "$((seconds + 1200))" \
        cargo fuzz run --fuzz-dir "$fuzz_dir" "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)"
    if [ "$status" -eq 0 ] && [ -n "$done_line" ]; then
        echo "   $done_line"
        summary+=("$target: $done_line")
    else
        echo "   FAILED (exit $status). Last lines of its output:"
        tail -n 40 "$log" | sed 's/^/   | /'
        grep -E 'Test unit written to|artifact_prefix' "$log" | sed 's/^/   /' || true
        failed+=("$target")
        summary+=("$target: FAILED (exit $status)")
    fi
    rm -f "$log"
done

echo
echo "Summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "Crashed or failed: ${failed[*]} (inputs in $fuzz_dir/artifacts/<target>/)" >&2
    exit 1
fi
