//! The control socket's file: created with its directory, a stale one
//! replaced (a live one is an error: another daemon serves it), mode 0660
//! with the configured group, removed again when dropped.

use nix::sys::socket::{
    bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType, UnixAddr,
};
use nix::unistd::{chown, Gid};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

pub struct Listener {
    pub socket: UnixListener,
    path: PathBuf,
}

impl Listener {
    pub fn bind(path: &Path, group: Option<Gid>) -> Result<Listener, String> {
        let what = |e: &dyn std::fmt::Display| format!("control socket {}: {e}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| what(&e))?;
        }
        if path.exists() {
            if UnixStream::connect(path).is_ok() || seqpacket_connects(path) {
                return Err(what(&"another dpswitchd is serving it"));
            }
            std::fs::remove_file(path).map_err(|e| what(&e))?;
        }
        let fd = socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(|e| what(&e))?;
        let addr = UnixAddr::new(path).map_err(|e| what(&e))?;
        bind(fd.as_raw_fd(), &addr).map_err(|e| what(&e))?;
        let listener = Listener {
            socket: UnixListener::from(fd),
            path: path.to_path_buf(),
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
            .map_err(|e| what(&e))?;
        if let Some(gid) = group {
            chown(path, None, Some(gid)).map_err(|e| what(&e))?;
        }
        listen(&listener.socket, Backlog::new(128).map_err(|e| what(&e))?).map_err(|e| what(&e))?;
        Ok(listener)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether a SOCK_SEQPACKET server answers at `path`.
fn seqpacket_connects(path: &Path) -> bool {
    let Ok(fd) = socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    ) else {
        return false;
    };
    UnixAddr::new(path)
        .and_then(|addr| nix::sys::socket::connect(fd.as_raw_fd(), &addr))
        .is_ok()
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
