//! Collectors: code that reads the world. Parsers take `&str` so tests feed fixture files.
pub mod cpu;
pub mod databases;
pub mod environments;
pub mod inotify;
pub mod memory;
pub mod migrate_target;
pub mod migrations_watch;
pub mod once;
pub mod oom;
pub mod ports;
pub mod proc_stat;
pub mod processes;
pub mod server_logs;
pub mod sock_diag;
pub mod socket_owner;
pub mod tasks;
