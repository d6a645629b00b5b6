//! Hostile input for the control socket (spec A2): a seeded generator,
//! valid requests to start from, their mutations, and a raw client.
#![allow(dead_code)] // each test file uses its own part of this

pub mod corpus;
pub mod daemon;
pub mod mutate;
pub mod rng;
pub mod wire;
