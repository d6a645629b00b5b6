# dpdk-testpmd in io mode on the benchmark workload: the I/O limit, no
# classification. Driven interactively through a fifo so the sink's
# counter can be read at the window edges.

testpmd_start() {  # PCAP PACKETS MASKS (masks unused: io mode forwards blindly)
    local pcap=$1 packets=$2 mbufs
    mbufs=$(pool_size "$packets")
    rm -f "$WORK/testpmd.fifo"; mkfifo "$WORK/testpmd.fifo"
    : >"$WORK/testpmd.log"
    # --pmds N: N forwarding cores, N queues on both ports.
    local cores=(--nb-cores=1)
    [ "$PMDS" -eq 1 ] || cores=(--nb-cores="$PMDS" --rxq="$PMDS" --txq="$PMDS")
    stdbuf -oL dpdk-testpmd "${LCORE_ARGS[@]}" --no-pci --in-memory \
        --vdev="$(pcap_vdev "$pcap")" --vdev=net_null0,no-rx=1 \
        -- -i --forward-mode=io "${cores[@]}" --rxd=2048 --txd=2048 \
        --total-num-mbufs="$mbufs" <"$WORK/testpmd.fifo" >"$WORK/testpmd.log" 2>&1 &
    TESTPMD_PID=$!; track $TESTPMD_PID
    exec {TESTPMD_FD}>"$WORK/testpmd.fifo"
    wait_until 60 grep -q 'testpmd>' "$WORK/testpmd.log" || return 1
    echo start >&"$TESTPMD_FD"
}

# Asks for port 1's counters and waits for the answer's TX-packets line.
tx_testpmd() {
    local asked
    asked=$(grep -c 'NIC statistics for port 1' "$WORK/testpmd.log" || true)
    echo "show port stats 1" >&"$TESTPMD_FD"
    wait_until 10 testpmd_answered $((asked + 1))
    awk '/NIC statistics for port 1/ { n++ } n && /TX-packets:/ { v = $2 } END { print v }' "$WORK/testpmd.log"
}

testpmd_answered() {
    awk -v want="$1" '/NIC statistics for port 1/ { n++ } n == want && /TX-packets:/ { ok = 1 } END { exit !ok }' "$WORK/testpmd.log"
}

testpmd_masks() { echo -; }
testpmd_note() { echo "io forwarding"; }

testpmd_stop() {
    [ -n "${TESTPMD_PID:-}" ] || return 0
    printf 'stop\nquit\n' >&"$TESTPMD_FD" 2>/dev/null || true
    exec {TESTPMD_FD}>&-
    local i
    for i in $(seq 100); do kill -0 "$TESTPMD_PID" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$TESTPMD_PID"
    TESTPMD_PID=
}
