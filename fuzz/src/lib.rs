//! What the fuzz targets share: EAL for the targets that need a flow
//! table, input builders that turn fuzz bytes into mostly-valid requests,
//! actions and frames (so the fuzzer gets past the decoders quickly), and
//! the checks run after each input.

pub mod alphabet;
pub mod eal;
pub mod frames;
pub mod reference;
pub mod requests;
/// The action tests' from-scratch checksums, one reference for both.
#[path = "../../src/datapath/actions/tests/scratch_checksums.rs"]
pub mod scratch_checksums;
pub mod table_check;
pub mod tracked;
