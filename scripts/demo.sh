#!/usr/bin/env bash
# The default demo: an L2 learning switch. dpswitchd runs three net_tap
# ports whose tap interfaces sit in three network namespaces
# (dpswitch-demo-1..3, 10.99.0.1..3, MACs 02:00:00:99:00:01..03) with no
# flows at all; `dpctl learn` is its controller: the first packets of each
# conversation miss and go up, the controller learns where each MAC is,
# floods what it cannot place, and installs in_port+eth src+eth dst
# megaflows that carry the rest. Every namespace pings the other two; then
# `dpctl show` and `dpctl dump-flows` show the datapath and the learned
# flows, a second round of pings shows the misses no longer grow, the
# PMD, rx queue and upcall windows show the load, dpdk-telemetry.py reads DPDK's and dpswitch's counters, dpdk-dumpcap
# captures a port's pings, Open vSwitch's own ovs-dpctl reads the same
# datapath through dpswitch-run, and dpswitchd stops cleanly, printing
# every port's counters and every flow.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --quiet --release --bin dpswitchd --bin dpctl
cargo build --quiet --release -p dpswitch-run

hosts=3
daemon= controller=
socket=/run/dpswitch/dpswitch.sock
# DPDK's runtime directory (/var/run/dpdk/$prefix) and shared memory:
# what dpdk-telemetry.py and dpdk-dumpcap attach to.
prefix=dpswitch-demo
capture=$(mktemp --suffix=.pcapng)

cleanup() {
    for pid in $controller $daemon; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            wait "$pid" || true
        fi
    done
    for i in $(seq $hosts); do ip netns del dpswitch-demo-$i 2>/dev/null || true; done
    # What a --file-prefix run leaves: its runtime directory and hugepage files.
    rm -rf "/var/run/dpdk/$prefix" "$capture"
    rm -f /dev/hugepages/${prefix}map_*
}
trap cleanup EXIT
for i in $(seq $hosts); do ip netns del dpswitch-demo-$i 2>/dev/null || true; done

# Main lcore 0 manages, lcore 1 forwards. --no-pci: only virtual devices.
# --file-prefix rather than --in-memory: a shared runtime directory, so
# that dpdk-telemetry.py and dpdk-dumpcap (a secondary process) reach it.
target/release/dpswitchd -l 0,1 --no-pci --file-prefix=$prefix \
    --vdev=net_tap0,iface=dpsdemo1 --vdev=net_tap1,iface=dpsdemo2 --vdev=net_tap2,iface=dpsdemo3 \
    -- --config conf/three-taps.toml --socket $socket \
    2> >(grep -v -e multiq -e 'rte flow' -e tap_mp_req -e qdisc -e '^EAL' -e '^TELEMETRY' >&2) &
daemon=$!
for _ in $(seq 100); do
    [ -S $socket ] && [ -e /sys/class/net/dpsdemo3 ] && break
    sleep 0.1
done

for i in $(seq $hosts); do
    ns=dpswitch-demo-$i tap=dpsdemo$i
    ip netns add $ns
    ip link set $tap netns $ns
    ip netns exec $ns sysctl -qw net.ipv6.conf.$tap.disable_ipv6=1
    ip netns exec $ns ip link set $tap address 02:00:00:99:00:0$i
    ip netns exec $ns ip addr add 10.99.0.$i/24 dev $tap
    ip netns exec $ns ip link set $tap up
done

dpctl() { echo "demo: \$ dpctl $*"; target/release/dpctl --socket $socket "$@" | sed 's/^/demo:   /'; }
ping_once() { # from to
    if ip netns exec dpswitch-demo-$1 ping -q -c 2 -i 0.2 -W 1 10.99.0.$2 >/dev/null 2>&1; then
        echo "demo: ping 10.99.0.$1 -> 10.99.0.$2: answered"
    else
        echo "demo: ping 10.99.0.$1 -> 10.99.0.$2: no answer"
    fi
}

# First by hand, as with ovs-dpctl: install, modify, dump and delete flows.
echo "demo: flows by hand between hosts 1 and 2"
dpctl add-flow 'in_port(1),eth(),eth_type(0x0806),arp()' 2
dpctl add-flow 'in_port(2),eth(),eth_type(0x0806),arp()' 1
dpctl add-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)' 2
dpctl add-flow 'in_port(2),eth(),eth_type(0x0800),ipv4(frag=no)' 1
ping_once 1 2
dpctl mod-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)' drop
ping_once 1 2
dpctl mod-flow 'in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)' 2
ping_once 1 2
dpctl dump-flows
dpctl del-flows

# Then a controller decides.
echo "demo: dpctl learn takes over"
target/release/dpctl --socket $socket learn > >(sed -u 's/^/demo: controller: /') 2>&1 &
controller=$!
sleep 0.5

ping_all() {
    for i in $(seq $hosts); do
        for j in $(seq $hosts); do
            [ $i = $j ] && continue
            result=$(ip netns exec dpswitch-demo-$i ping -q -c 3 -i 0.2 -W 1 10.99.0.$j | grep 'packets transmitted')
            echo "demo: 10.99.0.$i -> 10.99.0.$j: $result"
        done
    done
}
misses() { target/release/dpctl --socket $socket show | sed -n 's/.*missed:\([0-9]*\).*/\1/p'; }

echo "demo: every namespace pings the other two through dpswitchd"
ping_all
dpctl show
dpctl dump-flows
before=$(misses)
echo "demo: again: the learned flows carry the pings"
ping_all
echo "demo: datapath misses before the second round: $before, after: $(misses)"
echo "demo: the PMD's figures, its rx queues and the upcall window, as ovs-appctl shows OVS-DPDK's"
dpctl pmd-perf-show
dpctl pmd-rxq-show
dpctl upcall-show
echo "demo: DPDK telemetry: dpdk-telemetry.py reads commands on stdin"
for cmd in /ethdev/stats,0 /dpswitch/dp /dpswitch/pmd /dpswitch/flows; do
    echo "demo: \$ echo $cmd | dpdk-telemetry.py -f $prefix"
    echo $cmd | dpdk-telemetry.py -f $prefix | sed 's/^/demo:   /'
done
echo "demo: packet capture: dpdk-dumpcap on port 1 (DPDK's net_tap0) for 3 s, 10.99.0.1 pings 10.99.0.2"
echo "demo: \$ dpdk-dumpcap --file-prefix=$prefix -i net_tap0 -a duration:3 -w $capture"
dpdk-dumpcap --file-prefix=$prefix -i net_tap0 -a duration:3 -w "$capture" 2>&1 \
    | grep -v -e '^EAL' -e 'not driven by the primary' | sed 's/^/demo:   /' &
dumpcap=$!
sleep 1
ip netns exec dpswitch-demo-1 ping -q -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null
wait $dumpcap
echo "demo: \$ tcpdump -n -r $capture"
tcpdump -n -r "$capture" 2>/dev/null | sed 's/^/demo:   /'
echo "demo: Open vSwitch's ovs-dpctl, unmodified, through dpswitch-run:"
for args in show dump-flows; do
    echo "demo: \$ dpswitch-run ovs-dpctl $args"
    # ovs-dpctl notes at INFO level that there are no meters, as on a kernel without them.
    target/release/dpswitch-run --socket $socket ovs-dpctl $args 2> >(grep -v '|INFO|' >&2) | sed 's/^/demo:   /'
done

kill -TERM $controller
wait $controller || true
controller=
kill -TERM $daemon
wait $daemon
daemon=
echo "demo: dpswitchd stopped cleanly"
