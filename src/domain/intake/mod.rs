//! Intake of outside lists into the register: the rules, apart from the files they come in.
//!
//! - [`children`]: 全数把握, merging the children lists several divisions report into one
//!   record per child; disagreements kept as conflicts, never overwritten.
//! - [`shelters`]: the national shelter data; a re-import refreshes what the national data
//!   owns and keeps what the city added.
//! - [`era`]: dates in the Western calendar or a Japanese era, each era bounded.

pub mod children;
pub mod era;
pub mod shelters;

pub use children::*;
pub use shelters::*;
