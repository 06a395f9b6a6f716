//! Pure types and logic: no I/O, exhaustively unit-tested.
pub mod fixtures;
pub mod kill_plan;
pub mod memory;
pub mod process;
pub mod snapshot;
pub mod suspects;
pub mod tree;
