//! What the launcher works out before it execs: where the library is and
//! the LD_PRELOAD value that puts it first.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The library's file name, as cargo names a cdylib.
pub const LIBRARY: &str = "libdpswitch_run.so";

/// libdpswitch_run.so in the directory of `exe` (the launcher itself).
/// In a cargo build directory the one in `deps/` counts too, and the
/// newer wins: `cargo test` refreshes only that one, `cargo build` both.
pub fn library_beside(exe: std::io::Result<PathBuf>) -> Result<PathBuf, String> {
    let exe = exe.map_err(|e| format!("cannot find my own executable: {e}"))?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let dir = exe
        .parent()
        .ok_or_else(|| format!("{} has no directory", exe.display()))?;
    let beside = dir.join(LIBRARY);
    [beside.clone(), dir.join("deps").join(LIBRARY)]
        .into_iter()
        .filter_map(|path| {
            let built = path.metadata().ok().filter(|m| m.is_file())?.modified().ok()?;
            Some((built, path))
        })
        .max_by_key(|(built, _)| *built)
        .map(|(_, path)| path)
        .ok_or_else(|| {
            format!(
                "{} is missing: it must sit next to dpswitch-run (cargo build -p dpswitch-run builds both)",
                beside.display()
            )
        })
}

/// `library` ahead of what LD_PRELOAD already holds (once). The loader
/// splits the list at spaces and colons, so a path holding either cannot
/// be preloaded.
pub fn preload_value(library: &Path, existing: Option<&OsStr>) -> Result<OsString, String> {
    let bytes = library.as_os_str().as_bytes();
    if bytes.iter().any(|b| matches!(b, b' ' | b':')) {
        return Err(format!(
            "{} holds a space or a colon, which LD_PRELOAD cannot carry",
            library.display()
        ));
    }
    let mut value = library.as_os_str().to_owned();
    if let Some(existing) = existing {
        for entry in existing
            .as_bytes()
            .split(|b| matches!(b, b' ' | b':'))
            .filter(|e| !e.is_empty() && *e != bytes)
        {
            value.push(":");
            value.push(OsStr::from_bytes(entry));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_goes_first_and_once() {
        let lib = Path::new("/opt/x/libdpswitch_run.so");
        assert_eq!(
            preload_value(lib, None).unwrap(),
            "/opt/x/libdpswitch_run.so"
        );
        assert_eq!(
            preload_value(
                lib,
                Some(OsStr::new("/a.so /opt/x/libdpswitch_run.so:/b.so"))
            )
            .unwrap(),
            "/opt/x/libdpswitch_run.so:/a.so:/b.so"
        );
        assert!(preload_value(Path::new("/my dir/libdpswitch_run.so"), None).is_err());
    }

    #[test]
    fn a_missing_library_is_named() {
        let dir = std::env::temp_dir().join(format!("dpswitch-run-launch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("dpswitch-run");
        let err = library_beside(Ok(exe.clone())).unwrap_err();
        assert!(err.contains("libdpswitch_run.so is missing"), "{err}");
        std::fs::write(dir.join(LIBRARY), b"").unwrap();
        assert_eq!(library_beside(Ok(exe.clone())).unwrap(), dir.join(LIBRARY));
        // A newer one in cargo's deps/ wins; an older one does not.
        std::fs::create_dir_all(dir.join("deps")).unwrap();
        std::fs::write(dir.join("deps").join(LIBRARY), b"").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        let set = |path: PathBuf| {
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(old)
                .unwrap()
        };
        set(dir.join(LIBRARY));
        assert_eq!(
            library_beside(Ok(exe.clone())).unwrap(),
            dir.join("deps").join(LIBRARY)
        );
        std::fs::write(dir.join(LIBRARY), b"").unwrap();
        set(dir.join("deps").join(LIBRARY));
        assert_eq!(library_beside(Ok(exe)).unwrap(), dir.join(LIBRARY));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
