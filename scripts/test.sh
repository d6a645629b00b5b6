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
# Tests that need root (DPDK devices, taps, namespaces, other uids) are
# #[ignore = "needs root: ..."] so a plain `cargo test` as a user lists
# them as not run; here, as root with everything installed, every one
# runs. The *_helper tests are child processes their parent test starts
# itself (with --ignored); alone they only fail. The benchmarks take no
# test harness arguments, so they run on their own, one short pass each.
cargo test --lib --bins --tests --examples -- --include-ignored --skip _helper
cargo test --bench '*'
# The protocol and client crates build and pass their tests with DPDK and
# libclang out of sight, as on a machine without them.
PKG_CONFIG_LIBDIR=/nonexistent LIBCLANG_PATH=/nonexistent CARGO_TARGET_DIR=target/without-dpdk \
    cargo test -p dpswitch-proto -p dpswitch-client
# No doc test is ignored: an ignored snippet would be one not meant to run.
cargo test --doc
# A short bounded run of each fuzz target (see scripts/fuzz.sh).
scripts/fuzz.sh "${DPSWITCH_FUZZ_SECONDS:-20}"
