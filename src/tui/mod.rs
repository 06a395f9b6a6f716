//! The interactive face (in progress).
use crate::setup::Setup;
/// Run the TUI.
pub fn run(_setup: Setup) -> i32 { 0 }
