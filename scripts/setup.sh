#!/usr/bin/env bash
# Installs what dpswitch needs on a Debian 12 machine: DPDK 22.11 (headers,
# libraries, PMDs, dpdk-testpmd, dpdk-telemetry.py, dpdk-dumpcap), libclang
# for bindgen, iproute2, ping and tcpdump for the demos and tests, python3
# for the independent control-socket client (tests/python), Open vSwitch's
# own programs (ovs-dpctl and ovs-vswitchd with ovsdb-server, run on
# dpswitch through dpswitch-run), ethtool for the veths they use,
# systemd-analyze for checking the service unit in conf/, tshark for
# reading dpdk-dumpcap's pcapng captures, and 2 MB hugepages with a
# hugetlbfs mount.
# Idempotent, and silent when everything is already there.
set -euo pipefail

PACKAGES=(build-essential pkg-config libdpdk-dev dpdk-dev libclang-dev iproute2 iputils-ping tcpdump python3 openvswitch-switch ethtool systemd tshark)
HUGEPAGES=${DPSWITCH_HUGEPAGES:-512}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found; install Rust (https://rustup.rs) and run again" >&2
    exit 1
fi

nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$nr" ] || [ "$(id -u)" -ne 0 ]; then
    if [ "$(cat "$nr")" -lt "$HUGEPAGES" ]; then
        echo "setup: reserving $HUGEPAGES 2 MB hugepages"
        echo "$HUGEPAGES" | as_root tee "$nr" >/dev/null
        got=$(cat "$nr")
        [ "$got" -ge "$HUGEPAGES" ] || echo "setup: only $got hugepages could be reserved (memory fragmented?)" >&2
    fi
fi
if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
    echo "setup: mounting hugetlbfs at /dev/hugepages"
    as_root mkdir -p /dev/hugepages
    as_root mount -t hugetlbfs nodev /dev/hugepages
fi
