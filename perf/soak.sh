#!/usr/bin/env bash
# A soak: dpswitchd under traffic, flow churn and upcalls for a long while
# (30 minutes by default), its memory, mbufs, flows and drops printed
# every minute from its own counters, then a verdict: flat or growing.
#
#   perf/soak.sh [--minutes N] [--changes-per-sec R]
#
# Traffic: two net_pcap ports replay 64-byte UDP frames of 1,000 flows
# (dpswitch-pcapgen) as fast as they go: port 1's hit a 10-mask table
# (forwarded to the net_null port 3), port 2's match nothing, so each goes
# up as a miss to a handler that reads them (at [datapath] upcall_rate;
# the rest are counted lost by reason). Churn: one client installs and
# deletes R flows a second on two other masks, keeping 10,000 installed
# (examples/soak.rs). Verdict: flat when, from the second minute to the
# last, the resident set grew less than 5%, DPDK's heap less than 1% and
# the mbufs in use stayed under 2x their first level; dpswitchd and the
# load must then exit cleanly (else: failed). Off in CI (it is long); as root.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30 rate=2000
while [ $# -gt 0 ]; do
    case $1 in
        --minutes) minutes=$2; shift 2 ;;
        --changes-per-sec) rate=$2; shift 2 ;;
        *) echo "usage: perf/soak.sh [--minutes N] [--changes-per-sec R]" >&2; exit 2 ;;
    esac
done

scripts/setup.sh
cargo build --quiet --release --bin dpswitchd --bin dpswitch-pcapgen --example soak

work=$(mktemp -d /tmp/dpswitch-soak.XXXXXX)
daemon=
cleanup() {
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
        kill -TERM "$daemon"
        wait "$daemon" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

target/release/dpswitch-pcapgen pcap --flows 1000 --out "$work/udp.pcap" >/dev/null
{
    printf '[datapath]\nlocal_port = false\n\n'
    target/release/dpswitch-pcapgen rules --masks 10 --format toml --in-port 1 --out-port 3
} > "$work/soak.toml"

socket=$work/dpswitch.sock
target/release/dpswitchd -l 0,1 --no-pci --in-memory \
    --vdev="net_pcap0,rx_pcap=$work/udp.pcap,infinite_rx=1" \
    --vdev="net_pcap1,rx_pcap=$work/udp.pcap,infinite_rx=1" \
    --vdev=net_null0,no-rx=1 \
    -- --config "$work/soak.toml" --socket "$socket" --stats-interval 60 \
    > "$work/dpswitchd.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { cat "$work/dpswitchd.log"; exit 1; }

echo "soak: $minutes minutes: traffic on ports 1 and 2, $rate flow changes/s, misses of port 2 read"
target/release/examples/soak --socket "$socket" --minutes "$minutes" \
    --miss-port 2 --out-port 3 --changes-per-sec "$rate" > "$work/soak.out" &
load=$!

# One row a minute from dpswitchd's own stats lines.
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
printf 'soak: %6s %10s %14s %6s %8s %12s %12s %10s %10s\n' \
    min rss_kib dpdk_heap mbufs flows received lost lost_rate notif_drop
rows=0
while kill -0 $load 2>/dev/null; do
    sleep 60
    memory=$(grep 'stats: memory' "$work/dpswitchd.log" | tail -1)
    datapath=$(grep 'stats: datapath' "$work/dpswitchd.log" | tail -1)
    port2=$(grep 'stats: port 2 ' "$work/dpswitchd.log" | tail -1)
    control=$(grep 'stats: control' "$work/dpswitchd.log" | tail -1)
    [ -n "$memory" ] || continue
    rows=$((rows + 1))
    printf 'soak: %6s %10s %14s %6s %8s %12s %12s %10s %10s\n' "$rows" \
        "$(field rss_kib "$memory")" "$(field dpdk_heap_bytes "$memory")" \
        "$(field mbufs_in_use "$memory")" "$(field flows "$memory")" \
        "$(field received "$datapath")" "$(field lost "$datapath")" \
        "$(field upcall_lost_rate "$port2")" "$(field notifications_dropped "$control")" \
        | tee -a "$work/rows"
done
load_status=0
wait $load || load_status=$?
cat "$work/soak.out"

kill -TERM $daemon
status=0
wait $daemon || status=$?
daemon=
grep 'exit: mbufs in use' "$work/dpswitchd.log" | sed 's/^dpswitchd: /soak: /'

verdict=flat
if [ "$(wc -l < "$work/rows")" -ge 2 ]; then
    # The second minute is the base: the first still fills caches.
    read -r _ _ rss0 heap0 mbufs0 _ < <(sed -n 2p "$work/rows")
    read -r _ _ rss1 heap1 mbufs1 _ < <(tail -1 "$work/rows")
    if [ $((rss1 * 100)) -gt $((rss0 * 105)) ] || [ $((heap1 * 100)) -gt $((heap0 * 101)) ] \
        || [ "$mbufs1" -gt $((mbufs0 * 2 + 64)) ]; then
        verdict=growing
    fi
    echo "soak: resident $rss0 -> $rss1 KiB, DPDK heap $heap0 -> $heap1 B, mbufs in use $mbufs0 -> $mbufs1"
fi
if [ $status -ne 0 ] || [ $load_status -ne 0 ]; then
    echo "soak: dpswitchd exited with $status, the load with $load_status"
    verdict=failed
fi
echo "soak: verdict: $verdict"
[ $verdict = flat ]
