#!/usr/bin/env bash
# What an idle PMD's sleep (datapath.pmd_max_sleep_us, dpctl pmd-sleep-set)
# saves and costs: dpswitchd on two net_tap ports whose hosts sit in two
# network namespaces, the PMD on core 1; for each sleep limit, the CPU the
# PMD thread takes while idle, ping round trips through it (light load:
# the PMD sleeps between packets), and a burst of UDP datagrams sent as
# fast as one sender can (what arrives at the far host). Everything it
# starts is stopped on exit.
#
#   perf/pmd_sleep.sh [--sleeps "0 10 100 1000 10000"] [--pings N] [--burst N]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SLEEPS="0 10 100 1000 10000" PINGS=500 BURST=100000
while [ $# -gt 0 ]; do
    case $1 in
        --sleeps) SLEEPS=$2; shift 2 ;;
        --pings) PINGS=$2; shift 2 ;;
        --burst) BURST=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "pmd_sleep.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "pmd_sleep.sh: needs root (hugepages, namespaces)" >&2; exit 1; }
scripts/setup.sh >/dev/null
cargo build --quiet --release --bin dpswitchd --bin dpctl

WORK=$(mktemp -d /tmp/dpswitch-sleep.XXXXXX)
NA=dpswitch-sleep-a NB=dpswitch-sleep-b TA=dpsslp0 TB=dpsslp1
daemon=
cleanup() {
    set +e
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
        kill -TERM "$daemon"
        wait "$daemon"
    fi
    ip netns del $NA 2>/dev/null
    ip netns del $NB 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$WORK/sleep.toml" <<EOF
[datapath]
name = "sleep"
local_port = false
control_socket = "$WORK/dpswitch.sock"

[[port]]
name = "net_tap0"
number = 1

[[port]]
name = "net_tap1"
number = 2
EOF
for dir in "1 2" "2 1"; do
    set -- $dir
    cat >> "$WORK/sleep.toml" <<EOF

[[flow]]
key = "in_port($1),eth(),eth_type(0x0800),ipv4(frag=no)"
actions = "$2"
EOF
done

target/release/dpswitchd -l 0,1 --no-pci --in-memory \
    --vdev=net_tap0,iface=$TA --vdev=net_tap1,iface=$TB \
    -- --config "$WORK/sleep.toml" >"$WORK/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do
    [ -S "$WORK/dpswitch.sock" ] && [ -e /sys/class/net/$TB ] && break
    sleep 0.1
done
dpctl() { target/release/dpctl --socket "$WORK/dpswitch.sock" "$@"; }

plumb() { # ns tap addr
    ip netns add "$1"
    ip link set "$2" netns "$1"
    ip netns exec "$1" sysctl -qw net.ipv6.conf."$2".disable_ipv6=1
    ip netns exec "$1" ip addr add "$3"/24 dev "$2"
    ip netns exec "$1" ip link set "$2" up
}
plumb $NA $TA 10.97.0.1
plumb $NB $TB 10.97.0.2
mac() { ip netns exec "$1" cat /sys/class/net/"$2"/address; }
ip netns exec $NA ip neigh replace 10.97.0.2 lladdr "$(mac $NB $TB)" dev $TA nud permanent
ip netns exec $NB ip neigh replace 10.97.0.1 lladdr "$(mac $NA $TA)" dev $TB nud permanent

# The PMD's thread: EAL names worker lcore 1's thread rte-worker-1.
pmd_tid=$(grep -l '^rte-worker-1$' /proc/$daemon/task/*/comm | head -1 | cut -d/ -f5)
ticks() { awk '{print $14 + $15}' /proc/$daemon/task/$pmd_tid/stat; }
hz=$(getconf CLK_TCK)
rx_b() { ip netns exec $NB cat /sys/class/net/$TB/statistics/rx_packets; }

echo "dpswitchd $(git describe --always --dirty), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %12s %26s %22s\n' max_sleep "idle CPU" "ping rtt min/avg/max ms" "burst received"
for s in $SLEEPS; do
    dpctl pmd-sleep-set "$s" >/dev/null
    sleep 1
    t0=$(ticks); sleep 5; t1=$(ticks)
    cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.1f %%", 100 * d / hz / 5 }')
    rtt=$(ip netns exec $NA ping -q -n -c "$PINGS" -i 0.01 -W 1 10.97.0.2 |
        awk -F'[ /]' '/^rtt/ { printf "%.3f/%.3f/%.3f", $7, $8, $9 }')
    before=$(rx_b)
    sent=$(ip netns exec $NA python3 - "$BURST" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytes(18)
sent = 0
for _ in range(int(sys.argv[1])):
    try:
        s.sendto(payload, ("10.97.0.2", 9))
        sent += 1
    except OSError:
        pass
print(sent)
EOF
)
    sleep 1
    got=$(( $(rx_b) - before ))
    printf '%-10s %12s %26s %22s\n' "$s us" "$cpu" "$rtt" "$got of $sent"
done
dpctl pmd-perf-show | sed -n '/Iterations/,/Sleep time/p'
