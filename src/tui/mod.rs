//! The interactive face: terminal setup and restore, input decoding, signals, logging and the
//! event loop that feeds the engine ([`crate::app`]) and draws its state ([`crate::ui`]).
pub mod app;
mod exit;
pub mod input;
pub mod logging;
pub mod mouse;
pub mod signals;
pub mod terminal;

pub use app::{run, run_with};
