//! Unit tests of the flow text syntax, with vectors checked against
//! ovs-dpctl's behaviour.

mod actions;
mod errors;
mod inet6;
mod keys;
mod masks;
mod numbers;
