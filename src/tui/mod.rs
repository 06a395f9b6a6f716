//! The interactive face: terminal setup, the event loop, state and its updates.
pub mod app;
pub mod keymap;
pub mod logging;
pub mod state;
pub mod terminal;
pub mod update;

pub use app::run;
