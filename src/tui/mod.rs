//! The interactive face: terminal setup, input, signals, the event loop, state and its updates.
pub mod app;
pub mod input;
pub mod keymap;
pub mod logging;
pub mod mouse;
pub mod refresh;
pub mod signals;
pub mod state;
pub mod terminal;
pub mod update;

pub use app::{run, run_with};
