#!/usr/bin/env bash
# The whole test suite: installs what is missing, then checks formatting and
# lints, and runs every unit, property and integration test. Integration
# tests that start DPDK run one at a time (one test per file; cargo runs
# test binaries in sequence).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# dpctl, and the netlink adapter's launcher and library, beside dpswitchd
# for the daemon's tests that run them (they belong to other packages of
# the workspace, and a test run alone builds the library only under deps/).
cargo build -p dpswitch-run -p dpswitch-client
cargo test --all-targets
# The protocol and client crates build and pass their tests with DPDK and
# libclang out of sight, as on a machine without them.
PKG_CONFIG_LIBDIR=/nonexistent LIBCLANG_PATH=/nonexistent CARGO_TARGET_DIR=target/without-dpdk \
    cargo test -p dpswitch-proto -p dpswitch-client
cargo test --doc
# A short bounded run of each fuzz target (see scripts/fuzz.sh).
scripts/fuzz.sh "${DPSWITCH_FUZZ_SECONDS:-20}"
