//! The control socket's file: created with its directory, a stale one
//! replaced (a live one is an error: another daemon serves it), mode 0660
//! with the configured group, removed again when dropped.

use nix::errno::Errno;
use nix::sys::socket::{
    bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType, UnixAddr,
};
use nix::unistd::{chown, Gid};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Why the control socket could not be set up, with the system's error.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    #[error("control socket {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("control socket {}: {errno}", path.display())]
    Sys { path: PathBuf, errno: Errno },
    #[error("control socket {}: another dpswitchd is serving it", path.display())]
    Served { path: PathBuf },
}

impl ListenerError {
    /// The errno of the failed call; none when another daemon serves the
    /// socket.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            ListenerError::Io { source, .. } => source.raw_os_error().map(Errno::from_raw),
            ListenerError::Sys { errno, .. } => Some(*errno),
            ListenerError::Served { .. } => None,
        }
    }
}

pub struct Listener {
    pub socket: UnixListener,
    path: PathBuf,
}

impl Listener {
    pub fn bind(path: &Path, group: Option<Gid>) -> Result<Listener, ListenerError> {
        let io = |source| ListenerError::Io {
            path: path.to_path_buf(),
            source,
        };
        let sys = |errno| ListenerError::Sys {
            path: path.to_path_buf(),
            errno,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        if path.exists() {
            if UnixStream::connect(path).is_ok() || seqpacket_connects(path) {
                return Err(ListenerError::Served {
                    path: path.to_path_buf(),
                });
            }
            std::fs::remove_file(path).map_err(io)?;
        }
        let fd = socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(sys)?;
        let addr = UnixAddr::new(path).map_err(sys)?;
        bind(fd.as_raw_fd(), &addr).map_err(sys)?;
        let listener = Listener {
            socket: UnixListener::from(fd),
            path: path.to_path_buf(),
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(io)?;
        if let Some(gid) = group {
            chown(path, None, Some(gid)).map_err(sys)?;
        }
        listen(&listener.socket, Backlog::new(128).map_err(sys)?).map_err(sys)?;
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
