//! Headless commands: the same collectors and logic as the TUI, printed as text or JSON.
pub mod databases;
pub mod db_json;
pub mod generate;
pub mod guard;
pub mod hook;
pub mod init;
pub mod interrupts;
pub mod kill;
pub mod logs;
pub mod migrate;
pub mod out;
pub mod preflight;
pub mod server_status;
pub mod servers;
pub mod servers_down;
pub mod status;
