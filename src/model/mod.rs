//! Pure types and logic: no I/O, exhaustively unit-tested.
pub mod activity;
pub mod cli_diff;
pub mod cpu;
pub mod database;
pub mod db_view;
pub mod drift;
pub mod fixtures;
pub mod kill_plan;
pub mod memory;
pub mod migrate_rules;
pub mod migrations;
pub mod orphan;
pub mod process;
pub mod refusal;
pub mod snapshot;
pub mod suspects;
pub mod tree;
