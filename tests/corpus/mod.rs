//! Open vSwitch's own ODP test strings, kept beside the checkout (in
//! `../shared`) rather than in it. A clone on its own has no such
//! directory, so the tests that read it say loudly that they did not
//! run; with `DPSWITCH_REQUIRE_SHARED=1` its absence fails them instead.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Set to 1 where the corpus must be there (a checkout beside `shared/`).
const REQUIRE_ENV: &str = "DPSWITCH_REQUIRE_SHARED";

/// The corpus text, or None (after saying so on stderr) when it is absent
/// and not required.
pub fn odp_corpus() -> Option<String> {
    let path = workspace_root().join("../shared/data/odp-corpus.txt");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1");
            assert!(
                !required,
                "the ODP corpus is not found at {} and {REQUIRE_ENV}=1 requires it",
                path.display()
            );
            // Straight to stderr: the test harness hides what a passing
            // test prints with eprintln!, and this must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: the ODP corpus is not found at {} (set {REQUIRE_ENV}=1 to fail instead)",
                path.display()
            );
            None
        }
        Err(e) => panic!("the ODP corpus at {} cannot be read: {e}", path.display()),
    }
}

/// The checkout's top directory (where Cargo.lock is), whichever of the
/// workspace's packages the test belongs to.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .unwrap_or(manifest)
        .to_path_buf()
}
