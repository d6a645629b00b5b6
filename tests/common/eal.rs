//! EAL arguments for integration tests: hugepages when there are free ones,
//! otherwise (or with DPSWITCH_TEST_NO_HUGE set) a clearly reported
//! fallback to `--no-huge`.

/// Free 2 MiB hugepages the tests want before choosing `--in-memory`
/// (enough for their pools and tables with room to spare).
const MIN_FREE_HUGEPAGES: u64 = 128;

fn free_hugepages() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find_map(|line| line.strip_prefix("HugePages_Free:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

fn hugetlbfs_mounted() -> bool {
    std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .any(|line| line.split_whitespace().nth(2) == Some("hugetlbfs"))
}

/// `program --no-pci <memory options> <extra...>`; never touches PCI
/// devices. Without hugepages, no shared config and no telemetry socket
/// keep the runtime directory empty so `remove_runtime_dir` can delete it.
pub fn eal_args(program: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![program.to_owned(), "--no-pci".to_owned()];
    let free = free_hugepages();
    let forced = std::env::var_os("DPSWITCH_TEST_NO_HUGE").is_some();
    if !forced && free >= MIN_FREE_HUGEPAGES && hugetlbfs_mounted() {
        args.push("--in-memory".to_owned());
    } else {
        eprintln!(
            "{program}: only {free} free 2048 kB hugepages (or hugetlbfs not mounted); \
             running on plain memory with --no-huge -m 512"
        );
        args.extend(
            [
                "--no-huge",
                "-m",
                "512",
                "--no-shconf",
                "--no-telemetry",
                &format!("--file-prefix={program}-{}", std::process::id()),
            ]
            .map(str::to_owned),
        );
    }
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    args
}

/// Free 2 MiB hugepages a shared-memory daemon and a secondary process
/// (dpdk-dumpcap) want between them.
const MIN_FREE_HUGEPAGES_SHARED: u64 = 96;

/// `program --no-pci --file-prefix=PREFIX <extra...>` on hugepages and
/// without `--in-memory`: a primary process with a shared runtime
/// directory, which `dpdk-telemetry.py -f PREFIX` and secondary processes
/// (`dpdk-dumpcap --file-prefix=PREFIX`) reach. Those need hugepages (a
/// secondary maps the primary's memory through hugetlbfs files): without
/// enough free ones it fails saying so. `remove_runtime_dir` removes the
/// runtime directory and the hugepage files the run leaves.
pub fn shared_eal_args(program: &str, prefix: &str, extra: &[&str]) -> Vec<String> {
    let free = free_hugepages();
    assert!(
        hugetlbfs_mounted() && free >= MIN_FREE_HUGEPAGES_SHARED,
        "{program}: needs {MIN_FREE_HUGEPAGES_SHARED} free 2048 kB hugepages on a mounted \
         hugetlbfs for a shared-memory (--file-prefix) run, found {free} \
         (scripts/setup.sh reserves them; other DPDK processes may hold them)"
    );
    let mut args = vec![
        program.to_owned(),
        "--no-pci".to_owned(),
        format!("--file-prefix={prefix}"),
    ];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    args
}

/// Removes the runtime directory a `--file-prefix` run leaves in
/// /var/run/dpdk and its hugepage files (`<prefix>map_N`; the prefixes
/// are the tests' own, unique per process); call after the process
/// exited. Best effort.
pub fn remove_runtime_dir(args: &[String]) {
    for prefix in args
        .iter()
        .filter_map(|arg| arg.strip_prefix("--file-prefix="))
    {
        let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/{prefix}"));
        remove_hugepage_files(prefix);
    }
}

/// Removes the hugepage files of `prefix` from every hugetlbfs mount.
fn remove_hugepage_files(prefix: &str) {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let map = format!("{prefix}map_");
    for dir in mounts
        .lines()
        .filter(|l| l.split_whitespace().nth(2) == Some("hugetlbfs"))
        .filter_map(|l| l.split_whitespace().nth(1))
    {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with(&map) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
