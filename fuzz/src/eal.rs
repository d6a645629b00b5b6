//! EAL for a fuzz process: DPDK can initialise only once per process, and
//! only the flow table needs it, so the first input that asks pays for it.

use dpswitch::dpdk::Eal;
use std::sync::OnceLock;

static EAL: OnceLock<Eal> = OnceLock::new();

/// Plain memory, one lcore, no shared state: a fuzz run must not depend on
/// hugepages or leave runtime files behind. (`--in-memory` would say the
/// same but DPDK refuses it with `--no-huge`, which implies legacy memory.)
pub fn eal() -> &'static Eal {
    EAL.get_or_init(|| {
        let prefix = format!("dpswitch-fuzz-{}", std::process::id());
        let args = [
            "dpswitch-fuzz",
            "--no-pci",
            "--no-huge",
            "-m",
            "512",
            "--no-shconf",
            "--no-telemetry",
            "--log-level=error",
            "-l",
            "0",
            &format!("--file-prefix={prefix}"),
        ];
        let eal =
            Eal::init(args.iter().map(|a| (*a).to_owned()).collect()).expect("EAL initialises");
        // Without shared config or telemetry nothing is ever put in the
        // runtime directory: it can go now rather than outlive the process.
        let _ = std::fs::remove_dir(format!("/var/run/dpdk/{prefix}"));
        eal
    })
}
