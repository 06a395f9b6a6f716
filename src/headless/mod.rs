//! Headless commands: the same collectors and logic as the TUI, printed as text or JSON.
pub mod databases;
pub mod db_json;
pub mod generate;
pub mod init;
pub mod kill;
pub mod logs;
pub mod once;
pub mod out;
pub mod server_status;
pub mod servers;
pub mod status;
