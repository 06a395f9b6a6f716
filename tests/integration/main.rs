//! devtop's integration tests: one test binary, so the crate is linked once for all of them
//! (`cargo test` runs it with the unit tests; `cargo test --test integration <filter>` runs a
//! part, e.g. `ui_snapshots` or `db_postgres`). Each file is a module named as the test binary
//! it used to be; `Cargo.toml` sets `autotests = false`, so a new file under `tests/` must be
//! added here.
//!
//! The tests run on threads of one process: none changes process-wide state (environment,
//! current directory, signal dispositions). Children get their environment through
//! `Command::env`, each tmux test runs its own tmux server (`-L`), database tests use
//! databases of their own and name everything after this process's PID and a counter.

mod common;
mod db_common;
mod tmux;

mod cli_config;
mod cli_generate;
mod cli_init;
mod cli_kill;
mod cli_migrations;
mod cli_status;
mod db_flap;
mod db_flap_maria;
mod db_lock_link;
mod db_locked;
mod db_mysql;
mod db_pgbouncer;
mod db_postgres;
mod db_servers;
mod db_sqlite;
mod e2e_blackhole;
mod e2e_demo;
mod e2e_guard;
mod e2e_keys;
mod e2e_loop;
mod e2e_migrate;
mod e2e_preflight;
mod e2e_servers;
mod e2e_terminal;
mod guard_real;
mod hook_install;
mod migrate_env;
mod migrate_guarded;
mod migrate_refusals;
mod migrate_watchdog;
mod output_safety;
mod preflight;
mod preflight_new_db;
mod real_stack;
mod redaction;
mod servers_down;
mod servers_requires;
mod servers_status;
mod servers_supervise;
mod servers_up;
mod servers_vite;
mod standin;
mod status_bounded;
mod tui_servers_ops;
mod tui_supervise;
mod ui_preflight;
mod ui_servers;
mod ui_snapshots;
