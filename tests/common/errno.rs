//! The errno values tests compare replies with, as the raw numbers the wire
//! carries (a reply's errno field is 0 for success), taken from
//! `nix::errno::Errno` like the daemon's.

use nix::errno::Errno;

pub const EPERM: i32 = Errno::EPERM as i32;
pub const ENOENT: i32 = Errno::ENOENT as i32;
pub const ENOMEM: i32 = Errno::ENOMEM as i32;
pub const EBUSY: i32 = Errno::EBUSY as i32;
pub const EEXIST: i32 = Errno::EEXIST as i32;
pub const ENODEV: i32 = Errno::ENODEV as i32;
pub const EINVAL: i32 = Errno::EINVAL as i32;
pub const EFBIG: i32 = Errno::EFBIG as i32;
pub const ERANGE: i32 = Errno::ERANGE as i32;
pub const EUSERS: i32 = Errno::EUSERS as i32;
pub const EMSGSIZE: i32 = Errno::EMSGSIZE as i32;
pub const EOPNOTSUPP: i32 = Errno::EOPNOTSUPP as i32;
pub const EAFNOSUPPORT: i32 = Errno::EAFNOSUPPORT as i32;
