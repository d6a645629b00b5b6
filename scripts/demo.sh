#!/usr/bin/env bash
# The default demo: dpswitchd on two net_tap ports whose tap interfaces sit
# in two network namespaces (ns "dpswitch-demo-a" 10.99.0.1, "dpswitch-demo-b"
# 10.99.0.2), forwarding through the megaflows of conf/two-taps.toml. Both
# namespaces ping each other for DEMO_SECONDS (default 5) while dpswitchd
# prints its counters every second. Then dpctl, over the control socket,
# shows the datapath and its flows, deletes every flow (pings stop),
# installs the flows again and swaps one flow's actions (pings resume),
# and finally dpswitchd stops cleanly and prints every port's counters and
# every flow with its packet count.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --quiet --release --bin dpswitchd --bin dpctl

seconds=${DEMO_SECONDS:-5}
ns_a=dpswitch-demo-a ns_b=dpswitch-demo-b
tap_a=dpsdemo0 tap_b=dpsdemo1
daemon=

cleanup() {
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
        kill -TERM "$daemon"
        wait "$daemon" || true
    fi
    ip netns del "$ns_a" 2>/dev/null || true
    ip netns del "$ns_b" 2>/dev/null || true
}
trap cleanup EXIT

ip netns del "$ns_a" 2>/dev/null || true
ip netns del "$ns_b" 2>/dev/null || true

# Main lcore 0 manages, lcore 1 forwards. --no-pci: only virtual devices.
target/release/dpswitchd -l 0,1 --no-pci --in-memory \
    --vdev=net_tap0,iface=$tap_a --vdev=net_tap1,iface=$tap_b \
    -- --config conf/two-taps.toml --stats-interval 1 2> >(grep -v -e multiq -e 'rte flow' -e tap_mp_req >&2) &
daemon=$!

for i in $(seq 100); do
    [ -e /sys/class/net/$tap_a ] && [ -e /sys/class/net/$tap_b ] && break
    kill -0 "$daemon" 2>/dev/null || { echo "demo: dpswitchd exited" >&2; exit 1; }
    sleep 0.1
done

plumb() { # ns tap addr peer
    ip netns add "$1"
    ip link set "$2" netns "$1"
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    ip netns exec "$1" ip addr add "$3/24" dev "$2"
    ip netns exec "$1" ip link set "$2" up
}
plumb $ns_a $tap_a 10.99.0.1
plumb $ns_b $tap_b 10.99.0.2

echo "demo: $ns_a and $ns_b ping each other through dpswitchd for ${seconds}s"
count=$((seconds * 5))
summary() { grep -E 'packets transmitted' | sed "s/^/demo: $1: /"; }
ip netns exec $ns_a ping -q -c $count -i 0.2 10.99.0.2 2>&1 | summary "ping from $ns_a" &
pings=$!
ip netns exec $ns_b ping -q -c $count -i 0.2 10.99.0.1 2>&1 | summary "ping from $ns_b"
wait $pings || true

for ns_tap in "$ns_a $tap_a" "$ns_b $tap_b"; do
    set -- $ns_tap
    echo "demo: $2 (in $1) sent $(ip netns exec "$1" cat /sys/class/net/$2/statistics/tx_packets) packets into dpswitchd"
done
dpctl() { echo "demo: \$ dpctl $*"; target/release/dpctl "$@" | sed 's/^/demo:   /'; }
dpctl show
dpctl dump-flows
dpctl del-flows
ping_once() { # ns peer
    if ip netns exec "$1" ping -q -c 2 -W 1 "$2" >/dev/null 2>&1; then
        echo "demo: ping from $1 to $2: answered"
    else
        echo "demo: ping from $1 to $2: no answer"
    fi
}
ping_once $ns_a 10.99.0.2
dpctl add-flow 'in_port(1),eth(),eth_type(0x0806),arp()' 2
dpctl add-flow 'in_port(2),eth(),eth_type(0x0806),arp()' 1
dpctl add-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)' drop
dpctl add-flow 'in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)' 1
ping_once $ns_a 10.99.0.2
dpctl mod-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)' 2
ping_once $ns_a 10.99.0.2
dpctl dump-flows

kill -TERM "$daemon"
wait "$daemon"
daemon=
echo "demo: dpswitchd stopped cleanly"
