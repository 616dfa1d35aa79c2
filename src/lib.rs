//! powermap: where is the nearest power that can run this child's devices?
//!
//! Layers, each depending only on those below it:
//! `domain` ← `spatial`, `store` ← `planning` ← `http`, `cli`.

pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod planning;
pub mod spatial;
pub mod store;
