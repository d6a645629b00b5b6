//! The PMD figures a daemon counts and a client reads: one list of
//! counters (`stats`), and the report built from them (`figures`).

pub mod figures;
pub mod stats;
