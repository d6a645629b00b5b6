# Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk) on the
# benchmark workload, run entirely from a private directory: its own
# database, sockets, logs and a network namespace of its own for the
# bridge's tap port, so nothing of the system's Open vSwitch is touched.
# The scenario's table goes in as OpenFlow rules whose megaflows have the
# same masks as dpswitch's (checked from dpctl/dump-flows).

OVS_VSWITCHD_DPDK=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema

ovs_installed() { [ -x "$OVS_VSWITCHD_DPDK" ] && command -v ovsdb-server >/dev/null; }

# Installs the package without starting the system's services.
ovs_install() {
    ovs_installed && return 0
    local guard=/usr/sbin/policy-rc.d made=
    if [ ! -e "$guard" ]; then printf '#!/bin/sh\nexit 101\n' >"$guard"; chmod +x "$guard"; made=1; fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openvswitch-switch-dpdk >/dev/null
    [ -z "$made" ] || rm -f "$guard"
}

ovs_env() {
    export OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" \
        OVS_SYSCONFDIR="$OVS_DIR" OVS_PKGDATADIR=/usr/share/openvswitch
}
vsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=60 "$@"; }
appctl() { ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" "$@"; }
ofctl() { ovs-ofctl "$1" "unix:$OVS_DIR/br0.mgmt" "${@:2}"; }

# EMC=on|off. The EAL lcore is core 0, the one PMD thread core 1; the
# vdevs are the same as the others', given to EAL and bound by name.
ovs_start() {  # PCAP PACKETS MASKS EMC
    local pcap=$1 masks=$3 emc=$4
    OVS_PID= OVSDB_PID=
    OVS_DIR="$WORK/ovs"; rm -rf "$OVS_DIR"; mkdir -p "$OVS_DIR"; ovs_env
    ovsdb-tool create "$OVS_DIR/conf.db" "$OVS_SCHEMA" || return 1
    ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
        --unixctl="$OVS_DIR/ovsdb-server.ctl" --log-file="$OVS_DIR/ovsdb-server.log" \
        --pidfile="$OVS_DIR/ovsdb-server.pid" 2>/dev/null &
    OVSDB_PID=$!; track $OVSDB_PID
    wait_until 30 test -S "$OVS_DIR/db.sock" || return 1
    vsctl --no-wait init || return 1
    # --pmds N: PMD threads on cores 1..N (Open vSwitch places at most
    # one on each existing core: it cannot oversubscribe as --lcores does).
    local mask=0 c
    for c in $(seq "$PMDS"); do mask=$(( mask | 1 << c )); done
    vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
        "other_config:dpdk-extra=\"--no-pci --in-memory --vdev=$(pcap_vdev "$pcap") --vdev=net_null0,no-rx=1\"" \
        other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=$(printf '0x%x' "$mask")
    [ "$emc" = on ] || vsctl --no-wait set Open_vSwitch . other_config:emc-insert-inv-prob=0
    unshare --net "$OVS_VSWITCHD_DPDK" "unix:$OVS_DIR/db.sock" \
        --unixctl="$OVS_DIR/ovs-vswitchd.ctl" --log-file="$OVS_DIR/ovs-vswitchd.log" \
        --pidfile="$OVS_DIR/ovs-vswitchd.pid" 2>/dev/null &
    OVS_PID=$!; track $OVS_PID
    wait_until 60 test -S "$OVS_DIR/ovs-vswitchd.ctl" || return 1
    # Rules first, ports after: the first packets already meet the table.
    vsctl add-br br0 -- set bridge br0 datapath_type=netdev || return 1
    "$PCAPGEN" rules --masks "$masks" --format openflow --in-port 1 --out-port 2 >"$OVS_DIR/rules.txt"
    ofctl del-flows
    ofctl add-flows "$OVS_DIR/rules.txt" || return 1
    local rxq=()
    [ "$PMDS" -eq 1 ] || rxq=(options:n_rxq="$PMDS")
    vsctl add-port br0 pcap -- set Interface pcap type=dpdk options:dpdk-devargs=net_pcap0 ofport_request=1 "${rxq[@]}" \
        -- add-port br0 null -- set Interface null type=dpdk options:dpdk-devargs=net_null0 ofport_request=2 || return 1
    wait_until 30 ovs_forwarding
}

ovs_forwarding() { [ "$(tx_ovs)" -gt 0 ]; }

tx_ovs() {
    appctl dpctl/show -s | awk '/^  port / { p = $3 } p == "null" && /TX packets:/ { sub(/.*TX packets:/, ""); print $1 + 0; exit }'
}
tx_ovs_noemc() { tx_ovs; }

ovs_masks() { appctl dpctl/dump-flows | mask_count; }
ovs_noemc_masks() { ovs_masks; }

# Cycles per packet and where lookups were answered, from the PMD's own
# counters since the last clear (the harness clears them after warm-up).
ovs_note() {
    local flows
    flows=$(appctl dpctl/dump-flows | grep -vc '^flow-dump' || true)
    appctl dpif-netdev/pmd-stats-show | awk -v flows="$flows" '
        /core_id 1:/ { on = 1 } on && /main thread/ { on = 0 }
        on && /packets received:/ { rx = $3 } on && /emc hits:/ { emc = $3 }
        on && /simple match hits:/ { sm = $4 } on && /megaflow hits:/ { mf = $3 }
        on && /avg. subtable lookups per megaflow hit:/ { sub_ = $NF }
        on && /avg processing cycles per packet:/ { cyc = $6 }
        END { if (rx) printf "%s megaflows, %.0f cycles/pkt, hits: simple match %.0f%%, emc %.0f%%, megaflow %.0f%% (%s subtables/hit)",
                             flows, cyc, 100 * sm / rx, 100 * emc / rx, 100 * mf / rx, sub_ }'
}
ovs_noemc_note() { ovs_note; }
ovs_clear() { appctl dpif-netdev/pmd-stats-clear >/dev/null; }
ovs_noemc_clear() { ovs_clear; }

ovs_stop() {
    ovs_env
    if [ -n "${OVS_PID:-}" ]; then
        appctl exit --cleanup >/dev/null 2>&1 || true
        stop_pid "$OVS_PID"
    fi
    if [ -n "${OVSDB_PID:-}" ]; then
        ovs-appctl -t "$OVS_DIR/ovsdb-server.ctl" exit >/dev/null 2>&1 || true
        stop_pid "$OVSDB_PID"
    fi
    OVS_PID= OVSDB_PID=
}
