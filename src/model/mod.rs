//! Pure types and logic: no I/O, exhaustively unit-tested.
pub mod activity;
pub mod cli_diff;
pub mod cpu;
pub mod database;
pub mod db_error;
pub mod db_health;
pub mod db_view;
pub mod deaths;
pub mod descendants;
pub mod drift;
// Test fixtures: compiled for unit tests and, through the `fixtures` feature, for the
// integration tests and benches (Cargo.toml); never in the product.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod guard;
pub mod kill_plan;
pub mod local_migrations;
pub mod memory;
pub mod migrate_rules;
pub mod migrate_watchdog;
pub mod migration_lint;
pub mod migrations;
pub mod node_heap;
pub mod oom_tally;
pub mod orphan;
pub mod port_conflict;
pub mod preflight;
pub mod process;
pub mod provider;
pub mod refusal;
pub mod schema;
pub mod server;
pub mod server_order;
pub mod server_requires;
pub mod server_restart;
pub mod server_state;
pub mod servers_poll;
pub mod snapshot;
pub mod suspects;
pub mod tree;
