#!/usr/bin/env bash
# Open vSwitch on dpswitch: Debian's unmodified ovs-vswitchd (datapath type
# `system`) drives dpswitchd through the dpswitch-run netlink adapter, as it
# would drive the kernel module. dpswitchd starts with no ports; a private
# ovsdb-server and ovs-vswitchd run from a temporary directory; `ovs-vsctl`
# makes bridge br0 with three veth ports whose peers sit in three network
# namespaces (dpswitch-ovs-1..3, 10.98.0.1..3) and gives br0 itself
# 10.98.0.254. The bridge's default NORMAL flow (MAC learning in
# ovs-vswitchd) carries pings between every pair and from the host through
# br0; an OpenFlow rule then drops what goes to 10.98.0.3 and its removal
# lets it through again. Everything it started is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --quiet --release # dpswitchd, dpctl, dpswitch-run and its library

hosts=3
run=$(mktemp -d /tmp/dpswitch-ovs.XXXXXX)
socket=$run/dpswitch.sock
daemon=

# ovsdb-server, ovs-vswitchd and the OVS tools find each other here.
export OVS_RUNDIR=$run OVS_DBDIR=$run OVS_LOGDIR=$run OVS_SYSCONFDIR=$run
vsctl() { ovs-vsctl --db=unix:$run/db.sock --timeout=30 "$@"; }
say() { echo "ovs: $*"; }
show() { # runs a command, printing it and its output
    say "\$ $*"
    "$@" 2>&1 | sed 's/^/ovs:   /'
}

stop_pidfile() {
    [ -f "$1" ] || return 0
    local pid
    pid=$(cat "$1")
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

cleanup() {
    stop_pidfile $run/ovs-vswitchd.pid
    stop_pidfile $run/ovsdb-server.pid
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
        kill -TERM "$daemon"
        wait "$daemon" || true
    fi
    for i in $(seq $hosts); do
        ip netns del dpswitch-ovs-$i 2>/dev/null || true
        ip link del dpsovs$i 2>/dev/null || true
    done
    rm -rf "$run"
}
trap cleanup EXIT
for i in $(seq $hosts); do ip netns del dpswitch-ovs-$i 2>/dev/null || true; done

# Main lcore 0 manages, lcore 1 forwards. No ports: ovs-vswitchd adds them.
target/release/dpswitchd -l 0,1 --no-pci --in-memory -- --socket $socket --local-port no \
    > $run/dpswitchd.log 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -S $socket ] && break; sleep 0.1; done
[ -S $socket ] || { cat $run/dpswitchd.log; exit 1; }

ovsdb-tool create $run/conf.db /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server $run/conf.db --remote=punix:$run/db.sock --pidfile --detach \
    --log-file=$run/ovsdb-server.log -vconsole:off
vsctl --no-wait init
# The only change to how ovs-vswitchd is started: the adapter in front.
target/release/dpswitch-run --socket $socket \
    /usr/lib/openvswitch-switch/ovs-vswitchd unix:$run/db.sock --pidfile --detach \
    --log-file=$run/ovs-vswitchd.log -vconsole:off
say "ovs-vswitchd $(ovs-vswitchd --version | head -1 | awk '{print $NF}') runs on dpswitchd through dpswitch-run"

vsctl add-br br0
for i in $(seq $hosts); do
    ns=dpswitch-ovs-$i
    ip netns add $ns
    ip link add dpsovs$i type veth peer name eth0 netns $ns
    # dpswitchd reads the veth through AF_PACKET, which does not say
    # that a checksum was left for the hardware to fill in: like every
    # userspace datapath, it needs the sender to fill it in itself.
    ip netns exec $ns ethtool -K eth0 tx off >/dev/null
    # IPv4 only, so that the flows shown are the pings'.
    ip netns exec $ns sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    sysctl -qw net.ipv6.conf.dpsovs$i.disable_ipv6=1
    ip netns exec $ns ip link set eth0 address 02:00:00:98:00:0$i
    ip netns exec $ns ip addr add 10.98.0.$i/24 dev eth0
    ip netns exec $ns ip link set eth0 up
    ip link set dpsovs$i up
    vsctl add-port br0 dpsovs$i
done
sysctl -qw net.ipv6.conf.br0.disable_ipv6=1
ip addr add 10.98.0.254/24 dev br0
ip link set br0 up
show vsctl show
show target/release/dpctl --socket $socket show

ping_pair() { # from-namespace-number to-address
    if ip netns exec dpswitch-ovs-$1 ping -q -c 2 -i 0.2 -W 1 $2 >/dev/null 2>&1; then
        say "ping 10.98.0.$1 -> $2: answered"
    else
        say "ping 10.98.0.$1 -> $2: no answer"
    fi
}
ping_all() {
    for i in $(seq $hosts); do
        for j in $(seq $hosts); do [ $i = $j ] || ping_pair $i 10.98.0.$j; done
    done
}

say "NORMAL (MAC learning in ovs-vswitchd): every namespace pings the others"
ping_all
if ping -q -c 2 -i 0.2 -W 1 10.98.0.1 >/dev/null 2>&1; then
    say "ping from the host through br0 -> 10.98.0.1: answered"
else
    say "ping from the host through br0 -> 10.98.0.1: no answer"
fi
show ovs-appctl dpctl/dump-flows
show target/release/dpctl --socket $socket dump-flows

say "an OpenFlow rule drops what goes to 10.98.0.3"
show ovs-ofctl add-flow br0 priority=100,ip,nw_dst=10.98.0.3,actions=drop
show ovs-ofctl dump-flows br0 --no-stats
ping_pair 1 10.98.0.3
ping_pair 1 10.98.0.2
say "the rule removed, 10.98.0.3 answers again"
show ovs-ofctl del-flows br0 --strict priority=100,ip,nw_dst=10.98.0.3
ping_pair 1 10.98.0.3

say "ovs-vswitchd's log: $(grep -c -E '\|(ERR|EMER)\|' $run/ovs-vswitchd.log || true) errors," \
    "$(grep -c '|WARN|' $run/ovs-vswitchd.log || true) warnings"
grep -E '\|(WARN|ERR|EMER)\|' $run/ovs-vswitchd.log | sed 's/^/ovs:   /' || true
stop_pidfile $run/ovs-vswitchd.pid
stop_pidfile $run/ovsdb-server.pid
kill -TERM $daemon
wait $daemon
daemon=
say "stopped: ovs-vswitchd, ovsdb-server, dpswitchd"
