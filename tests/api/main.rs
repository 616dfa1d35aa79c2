#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! API tests: the whole router against a real database file, called without a socket.
//! One binary for all modules, so the crate is linked once.

mod common;

mod access;
mod errors;
mod hazards;
mod incidents;
mod instances;
mod nearest;
mod plans;
mod resources;
mod routes;
mod scenarios;
mod summary;
mod tokens;
mod web;
