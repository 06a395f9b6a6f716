//! Pure types and logic: no I/O, exhaustively unit-tested.
pub mod database;
pub mod db_view;
pub mod drift;
pub mod fixtures;
pub mod kill_plan;
pub mod memory;
pub mod migrations;
pub mod process;
pub mod snapshot;
pub mod suspects;
pub mod tree;
