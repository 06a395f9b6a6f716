//! Headless commands: the same collectors and logic as the TUI, printed as text or JSON.
pub mod databases;
pub mod kill;
pub mod once;
pub mod status;
