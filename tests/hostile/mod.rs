//! Hostile input for the control socket (spec A2): a seeded generator,
//! valid requests to start from, their mutations, and a raw client.

pub mod corpus;
pub mod mutate;
pub mod rng;
pub mod wire;
