//! The views and the extension header walk on hand-made bytes.

mod any_bytes;
mod checksum;
mod ipv6_ext;
mod truncated;
mod views;
