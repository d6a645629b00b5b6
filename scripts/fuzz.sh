#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with coverage instrumentation on the
# stable toolchain (what `cargo fuzz build -s none` does) and runs each for a
# bounded time: `scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]`.
#   netlink_decode  hostile control-socket bytes through every decoder
#   packet_extract  any frame through flow extraction (full and shallow)
#   flow_commands   ovs_flow request sequences against a real flow table
#                   (starts EAL on plain memory): table invariants after
#                   each request, nothing changed by a refused one (N16)
#   action_execute  action lists on frames: agrees with a copy-everything
#                   interpreter, checksums survive validated rewrites
# Corpora grow under fuzz/corpus/<target> (not committed); inputs that once
# crashed a target are committed under fuzz/regressions/<target> and
# replayed first. Crashes land in fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(netlink_decode packet_extract flow_commands action_execute)

triple=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# --target keeps the instrumentation off build scripts and proc macros.
cargo build --quiet --release --bins --target "$triple"

for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "fuzz: $t for ${seconds}s"
    seeds=()
    [ -d "regressions/$t" ] && seeds=("regressions/$t")
    # New inputs go to the first directory only: regressions stay as committed.
    "target/$triple/release/$t" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" "corpus/$t" "${seeds[@]}" 2>&1 | grep -E '^(stat::(number_of_executed_units|average_exec_per_sec)|Done|==[0-9]+== ERROR)|panicked' || true
    if compgen -G "artifacts/$t/crash-*" >/dev/null; then
        echo "fuzz: $t found a crash: $(ls artifacts/$t/crash-*)" >&2
        exit 1
    fi
done
