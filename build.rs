//! Finds DPDK through pkg-config, generates Rust bindings for the parts of
//! it dpswitch uses, and compiles the C shim that exposes DPDK's
//! static inline fast-path functions.

use std::env;
use std::path::PathBuf;
use std::process;

const MIN_DPDK_VERSION: &str = "22.11";

/// DPDK functions dpswitch calls; everything else stays out of the
/// bindings so they remain small and quick to generate.
const FUNCTIONS: &[&str] = &[
    // EAL, lcores, logging, cycles, errors
    "rte_eal_init",
    "rte_eal_cleanup",
    "rte_eal_remote_launch",
    "rte_eal_wait_lcore",
    "rte_eal_get_lcore_state",
    "rte_lcore_count",
    "rte_get_main_lcore",
    "rte_get_next_lcore",
    "rte_lcore_is_enabled",
    "rte_lcore_to_socket_id",
    "rte_socket_id",
    "rte_get_tsc_hz",
    "rte_log_set_global_level",
    "rte_log_get_global_level",
    "rte_log_register_type_and_pick_level",
    "rte_log_can_log",
    "rte_log_set_level",
    "rte_log_get_level",
    "rte_strerror",
    // mempool and mbuf
    "rte_pktmbuf_pool_create",
    "rte_pktmbuf_free_bulk",
    "rte_mempool_free",
    "rte_mempool_avail_count",
    "rte_mempool_in_use_count",
    // ethdev
    "rte_eth_dev_count_avail",
    "rte_eth_find_next_owned_by",
    "rte_eth_dev_is_valid_port",
    "rte_eth_dev_get_port_by_name",
    "rte_eth_dev_get_name_by_port",
    "rte_eth_dev_info_get",
    "rte_eth_dev_socket_id",
    "rte_eth_dev_configure",
    "rte_eth_dev_adjust_nb_rx_tx_desc",
    "rte_eth_rx_queue_setup",
    "rte_eth_tx_queue_setup",
    "rte_eth_dev_start",
    "rte_eth_dev_stop",
    "rte_eth_dev_close",
    "rte_eth_link_get_nowait",
    "rte_eth_stats_get",
    "rte_eth_stats_reset",
    "rte_eth_macaddr_get",
    "rte_eth_promiscuous_enable",
    "rte_eth_promiscuous_disable",
    "rte_eth_promiscuous_get",
    "rte_eth_dev_set_link_down",
    "rte_eth_dev_set_link_up",
    // devices probed and removed at run time
    "rte_dev_probe",
    "rte_eal_hotplug_remove",
    // hash
    "rte_hash_create",
    "rte_hash_free",
    "rte_hash_count",
    "rte_hash_hash",
    "rte_hash_add_key_with_hash_data",
    "rte_hash_del_key_with_hash",
    "rte_hash_lookup_with_hash_data",
    "rte_hash_lookup_bulk_data",
    "rte_hash_lookup_with_hash_bulk_data",
    "rte_hash_rcu_qsbr_add",
    "rte_hash_iterate",
    // rcu
    "rte_rcu_qsbr_get_memsize",
    "rte_rcu_qsbr_init",
    "rte_rcu_qsbr_thread_register",
    "rte_rcu_qsbr_thread_unregister",
    "rte_rcu_qsbr_synchronize",
    // ring
    "rte_ring_get_memsize",
    // memory accounting
    "rte_malloc_get_socket_stats",
    "rte_socket_count",
    "rte_socket_id_by_idx",
    "rte_ring_init",
    // telemetry: dpswitch's own commands
    "rte_telemetry_register_cmd",
    "rte_tel_data_alloc",
    "rte_tel_data_free",
    "rte_tel_data_start_dict",
    "rte_tel_data_add_dict_u64",
    "rte_tel_data_add_dict_string",
    "rte_tel_data_add_dict_container",
    // packet capture for dpdk-dumpcap and dpdk-pdump
    "rte_pdump_init",
    "rte_pdump_uninit",
    // the C shim
    "dpsw_.*",
];

/// Constants defined as macros that the wrappers need.
const VARS: &[&str] = &[
    "RTE_MAX_LCORE",
    "RTE_MAX_ETHPORTS",
    "RTE_ETH_NAME_MAX_LEN",
    "RTE_ETH_DEV_NO_OWNER",
    "RTE_HASH_EXTRA_FLAGS_.*",
    "RTE_HASH_LOOKUP_BULK_MAX",
    "RTE_HASH_NAMESIZE",
    "RTE_RING_NAMESIZE",
    "RTE_MEMPOOL_NAMESIZE",
    "RTE_MBUF_DEFAULT_BUF_SIZE",
    "RTE_PKTMBUF_HEADROOM",
    "RTE_MBUF_F_RX_RSS_HASH",
    "RTE_QSBR_THRID_INVALID",
    "RING_F_.*",
    "RTE_CACHE_LINE_SIZE",
    "RTE_LOG_.*",
    "RTE_TEL_MAX_STRING_LEN",
    "RTE_TEL_MAX_DICT_ENTRIES",
];

fn main() {
    let dpdk = match pkg_config::Config::new()
        .atleast_version(MIN_DPDK_VERSION)
        .cargo_metadata(true)
        .probe("libdpdk")
    {
        Ok(lib) => lib,
        Err(err) => {
            eprintln!(
                "dpswitch needs DPDK >= {MIN_DPDK_VERSION} found through pkg-config \
                 (libdpdk.pc). On Debian/Ubuntu: `apt-get install libdpdk-dev pkg-config`.\n\
                 pkg-config said: {err}"
            );
            process::exit(1);
        }
    };

    // pkg-config's cflags carry `-include rte_config.h -march=...`, which both
    // the bindings and the shim need: without -march the SSE intrinsics in
    // rte_memcpy.h do not compile.
    let cflags = dpdk_cflags();
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let shim_dir = manifest_dir.join("src/dpdk");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));

    for file in ["wrapper.h", "shim.h", "shim.c"] {
        println!("cargo:rerun-if-changed=src/dpdk/{file}");
    }
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    compile_shim(&cflags, &dpdk.include_paths, &shim_dir);
    generate_bindings(&cflags, &shim_dir, &out_dir);
}

/// All of `pkg-config --cflags libdpdk`, split into arguments.
fn dpdk_cflags() -> Vec<String> {
    let output = process::Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output();
    match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        _ => {
            eprintln!(
                "`pkg-config --cflags libdpdk` failed: install `pkg-config` and \
                 `libdpdk-dev` (apt-get install libdpdk-dev pkg-config)"
            );
            process::exit(1);
        }
    }
}

fn compile_shim(cflags: &[String], include_paths: &[PathBuf], shim_dir: &std::path::Path) {
    let mut build = cc::Build::new();
    build.file(shim_dir.join("shim.c")).include(shim_dir);
    for path in include_paths {
        build.include(path);
    }
    // `-include rte_config.h` is two words; pass them through in order.
    for flag in cflags {
        build.flag(flag);
    }
    build.opt_level(2);
    build.compile("dpswitch_dpdk_shim");
}

fn generate_bindings(cflags: &[String], shim_dir: &std::path::Path, out_dir: &std::path::Path) {
    let mut builder = bindgen::Builder::default()
        .header(shim_dir.join("wrapper.h").to_string_lossy())
        .clang_args(cflags)
        .clang_arg(format!("-I{}", shim_dir.display()))
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .use_core()
        .layout_tests(false)
        .derive_default(true)
        .generate_comments(false)
        .prepend_enum_name(false)
        // Packed structs containing aligned members and a header without
        // Debug break the generated Rust; dpswitch needs neither's layout.
        .opaque_type("rte_l2tpv2_.*")
        .opaque_type("rte_gtp_psc_generic_hdr")
        .allowlist_recursively(true);
    for function in FUNCTIONS {
        builder = builder.allowlist_function(function);
    }
    for var in VARS {
        builder = builder.allowlist_var(var);
    }
    builder = builder
        .allowlist_type("rte_rcu_qsbr")
        .allowlist_type("rte_ring")
        .allowlist_type("rte_hash_qsbr_mode")
        .allowlist_type("rte_eth_rx_mq_mode")
        .allowlist_type("rte_lcore_state_t");

    // bindgen panics when it cannot load libclang; turn that into advice
    // instead of a backtrace.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let generated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.generate()));
    std::panic::set_hook(default_hook);
    let bindings = match generated {
        Ok(Ok(bindings)) => bindings,
        Ok(Err(err)) => {
            eprintln!(
                "generating DPDK bindings failed: {err}\n\
                 bindgen needs libclang: `apt-get install libclang-dev`"
            );
            process::exit(1);
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            eprintln!(
                "bindgen could not run libclang: `apt-get install libclang-dev` \
                 (or set LIBCLANG_PATH).\n{detail}"
            );
            process::exit(1);
        }
    };
    if let Err(err) = bindings.write_to_file(out_dir.join("dpdk_bindings.rs")) {
        eprintln!("writing DPDK bindings failed: {err}");
        process::exit(1);
    }
}
