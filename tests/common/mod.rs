//! Shared by the integration tests: EAL arguments, and running dpswitchd as
//! a child process.
#![allow(dead_code, unused_imports)] // each test file uses its own part of this

mod daemon;
mod eal;
mod netns;

pub use daemon::*;
pub use eal::*;
pub use netns::*;
