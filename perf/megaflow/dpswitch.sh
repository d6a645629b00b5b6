# dpswitchd on the benchmark workload: the scenario's megaflows preloaded
# from a generated config, both ports polled by the PMD lcore (as testpmd
# and Open vSwitch poll theirs).

dpswitch_start() {  # PCAP PACKETS MASKS DPSWITCHD
    local pcap=$1 packets=$2 masks=$3 daemon=$4 conf="$WORK/dpswitch.toml"
    DPSWITCH_SOCK="$WORK/dpswitch.sock"
    {
        printf '[datapath]\nname = "bench"\nmempool_size = %d\nburst_size = 32\n' "$(pool_size "$packets")"
        printf 'queue_size = 2048\ncontrol_socket = "%s"\n\n' "$DPSWITCH_SOCK"
        # Both ports pinned to 0 and 1, which a revision from before ports
        # were numbered from 1 reads the same way.
        printf '[[port]]\nname = "net_pcap0"\nnumber = 0\n'
        # --pmds N: one rx queue per capture, dealt one to each PMD.
        [ "$PMDS" -eq 1 ] || printf 'rx_queues = %d\n' "$PMDS"
        printf '\n[[port]]\nname = "net_null0"\nnumber = 1\n\n'
        "$PCAPGEN" rules --masks "$masks" --format toml --in-port 0 --out-port 1
    } >"$conf"
    # No local port (a tap named like the datapath) in the benchmark; a
    # revision from before it has no such port and no such option.
    local extra=()
    if "$daemon" --help 2>/dev/null | grep -q -- --local-port; then
        extra=(--local-port no)
    fi
    : >"$WORK/dpswitchd.log"
    "$daemon" "${LCORE_ARGS[@]}" --no-pci --in-memory \
        --vdev="$(pcap_vdev "$pcap")" --vdev=net_null0,no-rx=1 \
        -- --config "$conf" "${extra[@]}" >"$WORK/dpswitchd.log" 2>&1 &
    DPSWITCH_PID=$!; track $DPSWITCH_PID
    wait_until 60 grep -q 'control socket listening' "$WORK/dpswitchd.log"
}

dpctl() { "$ROOT/target/release/dpctl" --socket "$DPSWITCH_SOCK" "$@"; }

# The sink is port 1 (the config pins it).
tx_dpswitch() {
    dpctl show -s | awk '/^  port / { p = $2 } p == "1:" && /TX packets:/ { sub(/.*TX packets:/, ""); print $1 + 0; exit }'
}

dpswitch_masks() { dpctl dump-flows | mask_count; }

dpswitch_note() {
    if [ "$PMDS" -eq 1 ]; then
        dpctl show | awk '/masks:/ { sub(/^ +/, ""); print }'
        return
    fi
    # --pmds N: also each PMD's share of the packets received.
    dpctl show | awk '/masks:/ { sub(/^ +/, ""); printf "%s", $0 }'
    dpctl pmd-perf-show |
        awk '/core_id/ { c = $4; sub(/:$/, "", c) } /Rx packets:/ { s = s sep "lcore " c " " $3; sep = ", " } END { printf "; received by PMD: %s\n", s }'
}

# Where a packet's cycles go: stage timing on for STAGE_SECS, then the
# PMD's stage line (empty from a revision without stage timing).
dpswitch_stages() {
    dpctl pmd-stage-cycles on 2>/dev/null || return 0
    dpctl pmd-stats-clear
    nap "$STAGE_SECS"
    dpctl pmd-perf-show | sed -n 's/^ *Stages (cycles\/pkt over [0-9]* pkts): //p' | paste -sd ';' -
    dpctl pmd-stage-cycles off
}
dpswitch_against_stages() { dpswitch_stages; }

dpswitch_stop() {
    [ -n "${DPSWITCH_PID:-}" ] || return 0
    stop_pid "$DPSWITCH_PID"; DPSWITCH_PID=
    # A leaked mbuf makes the daemon exit with 3; say so rather than hide it.
    grep -q 'mbufs in use 0 of' "$WORK/dpswitchd.log" || echo "dpswitchd: exit report incomplete (see $WORK/dpswitchd.log)" >&2
}

# The same daemon built at another revision (--against) is read the same way.
tx_dpswitch_against() { tx_dpswitch; }
dpswitch_against_masks() { dpswitch_masks; }
dpswitch_against_note() { dpswitch_note; }
