#!/usr/bin/env bash
# The megaflow benchmark: dpswitchd, dpdk-testpmd in io mode (the I/O
# limit, no classification) and Open vSwitch with DPDK (default, and with
# its exact-match cache off), one after another on the same workload: one
# forwarding lcore (core 1), a pcap replayed from memory into a null sink,
# 64-byte UDP frames of N flows, a table of 1, 10 or 100 megaflow masks.
# Prints each one's forwarding rate (min/median/max of the windows) and
# dpswitch's ratio to the others, each one's cycles per packet (the
# forwarding core's clock over its median rate: a polling core is never
# idle), and where dpswitch's cycles go (rx, extract, classify, actions,
# tx: `dpctl pmd-stage-cycles` over a further STAGE_SECS window, whose
# stamps cost a few cycles a burst). Everything it starts is stopped on exit.
#
#   perf/megaflow.sh [--scenarios LIST] [--systems LIST] [--windows N]
#                    [--seconds S] [--warmup S] [--install-ovs] [--results FILE]
#                    [--against REV] [--pmds N]
#
# Scenarios are MASKSmask(s)-FLOWS: 1mask-1k 10masks-1k 100masks-1k
# 10masks-64k 100masks-64k (the default), also 1mask-1, 1mask-64k, ...
# (FLOWS: 1, 1k = 1000, 64k = 65536, or a number). Systems: dpswitch
# testpmd ovs ovs_noemc (the default: all; the OVS ones are skipped when
# openvswitch-switch-dpdk is not installed, and --install-ovs installs it).
# --against REV also builds dpswitchd at git revision REV (in a temporary
# worktree) and runs it right after the current build on each scenario,
# with a ratio column: a change measured side by side in one run.
# --pmds N (default 1) forwards with N lcores: the input port gets N rx
# queues (one capture per queue, the flows split over them as RSS would
# split them), dpswitchd N PMD lcores, testpmd --nb-cores=N --rxq=N
# --txq=N, Open vSwitch N PMD threads and n_rxq=N. Where the machine has
# fewer than N + 1 CPUs the lcores share CPU 1.. through EAL's --lcores:
# the numbers then measure correctness, not scaling.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. perf/megaflow/common.sh
. perf/megaflow/dpswitch.sh
. perf/megaflow/testpmd.sh
. perf/megaflow/ovs.sh

SCENARIOS="1mask-1k 10masks-1k 100masks-1k 10masks-64k 100masks-64k"
SYSTEMS="dpswitch testpmd ovs ovs_noemc"
WINDOWS=3 WINDOW_SECS=10 WARMUP=5 INSTALL_OVS= RESULTS= AGAINST= STAGE_SECS=3 PMDS=1
while [ $# -gt 0 ]; do
    case $1 in
        --scenarios) SCENARIOS=${2//,/ }; shift 2 ;;
        --systems) SYSTEMS=${2//,/ }; shift 2 ;;
        --windows) WINDOWS=$2; shift 2 ;;
        --seconds) WINDOW_SECS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --install-ovs) INSTALL_OVS=1; shift ;;
        --results) RESULTS=$2; shift 2 ;;
        --against) AGAINST=$2; shift 2 ;;
        --pmds) PMDS=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "megaflow.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "megaflow.sh: needs root (hugepages, DPDK devices)" >&2; exit 1; }
case $PMDS in ''|*[!0-9]*|0) echo "megaflow.sh: --pmds takes a number from 1" >&2; exit 2 ;; esac
# The lcores the forwarding runs on: EAL's arguments, and a word for the table.
if [ "$PMDS" -eq 1 ]; then
    LCORE_ARGS=(-l 0,1) LCORE_WORDS="one forwarding lcore (core 1)"
elif [ "$((PMDS + 1))" -le "$(nproc)" ]; then
    LCORE_ARGS=(-l "0-$PMDS") LCORE_WORDS="$PMDS forwarding lcores (cores 1-$PMDS)"
else
    # lcore i on CPU 1 + (i - 1) mod (CPUs - 1): more lcores than CPUs.
    map=0@0 cpus=$(( $(nproc) - 1 ))
    [ "$cpus" -ge 1 ] || { echo "megaflow.sh: --pmds needs at least 2 CPUs" >&2; exit 2; }
    for i in $(seq "$PMDS"); do map+=",$i@$(( 1 + (i - 1) % cpus ))"; done
    LCORE_ARGS=("--lcores=$map")
    LCORE_WORDS="$PMDS forwarding lcores on $cpus CPU(s) ($map): oversubscribed, so these numbers measure correctness, not scaling"
    echo "megaflow.sh: $PMDS forwarding lcores on $cpus CPU(s) through --lcores=$map: the numbers measure correctness, not scaling" >&2
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/dpswitch-megaflow.XXXXXX)
cleanup() {
    set +e  # stop everything even if one step fails
    stop_all
    [ -z "$AGAINST" ] || git worktree remove --force "$WORK/against" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/setup.sh
[ -z "$INSTALL_OVS" ] || ovs_install
if ! ovs_installed; then
    case " $SYSTEMS " in *" ovs"*)
        echo "megaflow.sh: openvswitch-switch-dpdk not installed (--install-ovs installs it): OVS skipped" >&2 ;;
    esac
    SYSTEMS=$(echo "$SYSTEMS" | tr ' ' '\n' | grep -v '^ovs' | tr '\n' ' ')
fi
echo "megaflow.sh: building" >&2
# What is measured is what is built now, whatever changes during the run.
BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo ' (with local changes to src/)')"
cargo build --quiet --release --bin dpswitchd --bin dpctl --bin dpswitch-pcapgen
PCAPGEN="$ROOT/target/release/dpswitch-pcapgen"
if [ -n "$AGAINST" ]; then
    AGAINST_REV=$(git rev-parse --short "$AGAINST^{commit}") ||
        { echo "megaflow.sh: --against $AGAINST: not a commit" >&2; exit 2; }
    echo "megaflow.sh: building dpswitchd at $AGAINST_REV" >&2
    git worktree add --quiet --detach "$WORK/against" "$AGAINST_REV"
    # Its own target directory, kept between runs, so a rebuild is quick.
    CARGO_TARGET_DIR="$ROOT/target/against" cargo build --quiet --release --bin dpswitchd \
        --manifest-path "$WORK/against/Cargo.toml"
    AGAINST_BIN="$ROOT/target/against/release/dpswitchd"
    SYSTEMS=$(echo "$SYSTEMS" | sed 's/\bdpswitch\b/dpswitch dpswitch_against/')
fi

flow_count() {
    case $1 in
        *k) echo $(( ${1%k} == 64 ? 65536 : ${1%k} * 1000 )) ;;
        *) echo "$1" ;;
    esac
}

label() {
    case $1 in
        dpswitch) echo "dpswitch" ;;
        dpswitch_against) echo "dpswitch at $AGAINST_REV" ;;
        testpmd) echo "testpmd io" ;;
        ovs) echo "OVS-DPDK" ;;
        ovs_noemc) echo "OVS-DPDK EMC off" ;;
    esac
}

start_system() {  # SYS PCAP PACKETS MASKS
    case $1 in
        dpswitch) dpswitch_start "$2" "$3" "$4" "$ROOT/target/release/dpswitchd" ;;
        dpswitch_against) dpswitch_start "$2" "$3" "$4" "$AGAINST_BIN" ;;
        testpmd) testpmd_start "$2" "$3" "$4" ;;
        ovs) ovs_start "$2" "$3" "$4" on ;;
        ovs_noemc) ovs_start "$2" "$3" "$4" off ;;
    esac
}
stop_system() {
    case $1 in
        dpswitch|dpswitch_against) dpswitch_stop ;;
        testpmd) testpmd_stop ;;
        ovs|ovs_noemc) ovs_stop ;;
    esac
}

# RESULT[scenario,system] = "min median max" in pps; NOTE[...] = details;
# STAGES[...] = dpswitch's cycles per packet by stage.
declare -A RESULT NOTE MASKS STAGES
for scenario in $SCENARIOS; do
    masks=${scenario%%mask*} flows=$(flow_count "${scenario#*-}")
    pcap="$WORK/flows-$flows.pcap"
    if [ "$PMDS" -eq 1 ]; then
        [ -e "$pcap" ] || "$PCAPGEN" pcap --flows "$flows" --out "$pcap" 2>/dev/null
        packets=$(( ($(stat -c %s "$pcap") - 24) / 80 ))
    else
        # One capture per rx queue, flow f in capture f mod N; $pcap is
        # the list, comma-separated, and packets all of theirs (the pool
        # holds every capture).
        list= packets=0
        for k in $(seq 0 $((PMDS - 1))); do
            part="$WORK/flows-$flows-$k-of-$PMDS.pcap"
            [ -e "$part" ] || "$PCAPGEN" pcap --flows "$flows" --shard "$k" --shards "$PMDS" \
                --min-packets $(( (4096 + PMDS - 1) / PMDS )) --out "$part" 2>/dev/null
            n=$(( ($(stat -c %s "$part") - 24) / 80 ))
            packets=$(( packets + n ))
            list+="${list:+,}$part"
        done
        pcap=$list
    fi
    for sys in $SYSTEMS; do
        echo "megaflow.sh: $scenario: $(label "$sys")" >&2
        if ! start_system "$sys" "$pcap" "$packets" "$masks"; then
            echo "megaflow.sh: $scenario: $(label "$sys") did not start (logs in $WORK)" >&2
            stop_system "$sys"; RESULT[$scenario,$sys]="failed"; continue
        fi
        measure "$sys" >"$WORK/rates"
        rates=$(cat "$WORK/rates")
        RESULT[$scenario,$sys]=$(echo "$rates" | summarize)
        MASKS[$scenario,$sys]=$("${sys}_masks")
        NOTE[$scenario,$sys]=$("${sys}_note")
        if declare -F "${sys}_stages" >/dev/null; then STAGES[$scenario,$sys]=$("${sys}_stages"); fi
        stop_system "$sys"
        echo "megaflow.sh: $scenario: $(label "$sys"): $(echo "$rates" | tr '\n' ' ')pps; masks ${MASKS[$scenario,$sys]}; ${NOTE[$scenario,$sys]}" >&2
    done
done

mpps() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1e6 }'; }
cell() {
    local r=${RESULT[$1,$2]:-}
    case $r in
        "") echo "-" ;;
        failed) echo "failed" ;;
        *) set -- $r; echo "$(mpps "$2") ($(mpps "$1")-$(mpps "$3"))" ;;
    esac
}
ratio() {
    local d=${RESULT[$1,dpswitch]:-} o=${RESULT[$1,$2]:-}
    case "$d$o" in *failed*) echo "-"; return ;; esac
    [ -n "$d" ] && [ -n "$o" ] || { echo "-"; return; }
    set -- $d; local dm=$2; set -- $o
    awk -v a="$dm" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# The forwarding core's clock (the TSC rate the kernel measured at boot).
CORE_HZ=$(awk '/^cpu MHz/ { printf "%.0f", $4 * 1e6; exit }' /proc/cpuinfo)
cycles_cell() {
    local r=${RESULT[$1,$2]:-}
    case $r in
        ""|failed) echo "-" ;;
        *) set -- $r; awk -v hz="$CORE_HZ" -v pps="$2" 'BEGIN { printf "%.0f", hz / pps }' ;;
    esac
}

cycles_table() {
    local s sys head="| scenario (cycles/pkt at $(awk -v hz="$CORE_HZ" 'BEGIN { printf "%.2f", hz / 1e9 }') GHz) |" rule="|---|"
    for sys in $SYSTEMS; do head+=" $(label "$sys") |"; rule+="---:|"; done
    echo "$head"; echo "$rule"
    for s in $SCENARIOS; do
        local row="| ${s/-/, } flows |"
        for sys in $SYSTEMS; do row+=" $(cycles_cell "$s" "$sys") |"; done
        echo "$row"
    done
    echo
    for s in $SCENARIOS; do
        for sys in $SYSTEMS; do
            [ -n "${STAGES[$s,$sys]:-}" ] && echo "- $s, $(label "$sys") stages (cycles/pkt): ${STAGES[$s,$sys]}"
        done
    done
    return 0
}

table() {
    local s sys head="| scenario (Mpps: median (min-max) of $WINDOWS x ${WINDOW_SECS} s) |" rule="|---|"
    for sys in $SYSTEMS; do head+=" $(label "$sys") |"; rule+="---:|"; done
    for sys in $SYSTEMS; do [ "$sys" = dpswitch ] || { head+=" dpswitch / $(label "$sys") |"; rule+="---:|"; }; done
    head+=" megaflow masks |"; rule+="---|"
    echo "$head"; echo "$rule"
    for s in $SCENARIOS; do
        local row="| ${s/-/, } flows |" m=
        for sys in $SYSTEMS; do row+=" $(cell "$s" "$sys") |"; done
        for sys in $SYSTEMS; do [ "$sys" = dpswitch ] || row+=" $(ratio "$s" "$sys") |"; done
        for sys in $SYSTEMS; do [ "$sys" = testpmd ] || m+="${m:+ / }${MASKS[$s,$sys]:--}"; done
        echo "$row $m |"
    done
    echo
    echo "Megaflow masks: $(for sys in $SYSTEMS; do [ "$sys" = testpmd ] || printf '%s / ' "$(label "$sys")"; done | sed 's| / $||'), counted from each datapath's flow dump."
    echo
    for s in $SCENARIOS; do
        for sys in $SYSTEMS; do
            [ -n "${NOTE[$s,$sys]:-}" ] && echo "- $s, $(label "$sys"): ${NOTE[$s,$sys]}"
        done
    done
}

out=$(table; echo; cycles_table)
[ "$PMDS" -eq 1 ] || out+=$'\n\n'"Forwarding: $LCORE_WORDS."
echo "$out"
if [ -n "$RESULTS" ]; then
    {
        echo "# Megaflow benchmark results"
        echo
        echo "Produced by \`perf/megaflow.sh\` (see perf/README.md)."
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "- commit: $BUILT${AGAINST:+, against $AGAINST_REV}"
        echo "- load average (1, 5, 15 min) when the run began: $LOAD_BEFORE (the run does not keep other work off the cores)"
        echo "- windows: $WINDOWS x $WINDOW_SECS s after $WARMUP s of warm-up; $LCORE_WORDS"
        echo
        echo "$out"
    } >"$RESULTS"
    echo "megaflow.sh: wrote $RESULTS" >&2
fi
