# Shared by the megaflow benchmark's runners: the processes it started
# (stopped by pid on exit), waiting, and the measurement windows.

STARTED=()   # pids this run started and has not yet reaped

track() { STARTED+=("$1"); }

# Stops one pid this run started: SIGTERM, then SIGKILL after 10 s; reaps it.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
    local kept=() p
    for p in "${STARTED[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
    STARTED=("${kept[@]+"${kept[@]}"}")
}

# Newest first, so a daemon goes before the database it talks to.
stop_all() {
    local i
    if [ -n "$NAP_PID" ]; then
        kill "$NAP_PID" 2>/dev/null || true
        wait "$NAP_PID" 2>/dev/null || true
    fi
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_pid "${STARTED[$i]}"; done
}

now() { date +%s.%N; }

# sleep that a trapped signal interrupts at once (a foreground sleep would
# hold the trap until it ends); cleanup ends a nap left running.
NAP_PID=
nap() {
    sleep "$1" &
    NAP_PID=$!
    wait "$NAP_PID"
    NAP_PID=
}

# wait_until SECS CMD...: polls CMD every 0.2 s; fails after SECS.
wait_until() {
    local deadline=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# The mask signature of each flow of an ovs-dpctl style dump, one per
# line: values dropped, masks kept ("ipv4(dst=/192.0.0.0,frag=)"), so the
# distinct lines are the distinct megaflow masks.
mask_signatures() {
    grep -v '^flow-dump' | sed -e 's/, packets:.*//' -e 's/^ufid:[^,]*,//' \
        -e 's/=[^,()\/]*\/\([^,()]*\)/=\/\1/g' -e 's/=[^,()\/]*\([,)]\)/=\1/g'
}

mask_count() { mask_signatures | sort -u | grep -c . || true; }

# measure SYS: after the warm-up, WINDOWS consecutive windows of
# WINDOW_SECS; prints each window's rate of tx packets on the sink (pps)
# from tx_SYS, the sink's cumulative counter. SYS_clear, where defined,
# resets the system's own counters when the windows begin.
measure() {
    local sys=$1 w t0 c0 t1 c1
    nap "$WARMUP"
    if declare -F "${sys}_clear" >/dev/null; then "${sys}_clear"; fi
    t0=$(now); c0=$("tx_$sys")
    for w in $(seq "$WINDOWS"); do
        nap "$WINDOW_SECS"
        t1=$(now); c1=$("tx_$sys")
        awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.0f\n", (b - a) / (e - s) }'
        t0=$t1 c0=$c1
    done
}

# "min median max" of the numbers on stdin.
summarize() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%d %d %d\n", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# Mbufs for a pool that holds the whole capture (the pcap PMD copies it
# into mbufs at queue setup) on top of rings and caches: 2^k - 1.
pool_size() {
    local need=$(( $1 + 32768 )) n=1
    while [ $n -lt "$need" ]; do n=$(( n * 2 )); done
    echo $(( n - 1 ))
}

# The input vdev for a capture, or a comma-separated list of captures
# (--pmds: one rx queue each).
pcap_vdev() {
    local v=net_pcap0 f
    for f in ${1//,/ }; do v+=",rx_pcap=$f"; done
    echo "$v,infinite_rx=1"
}
