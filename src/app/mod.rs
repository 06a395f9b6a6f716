//! The engine: the app state, the actions that change it, `update` (the only place the state
//! changes) and the key table. No terminal, no I/O: the TUI loop (`crate::tui`) feeds it
//! actions and runs the commands it returns through the effects executor; the renderers
//! (`crate::ui`) draw its state.
pub mod confirm;
pub mod executor;
pub mod guard;
pub mod guard_update;
pub mod help;
pub mod intent;
pub mod key_bar;
pub mod keymap;
pub mod keys;
pub mod migrate;
pub mod mouse;
pub mod panes;
pub mod preflight;
pub mod refresh;
pub mod server_intent;
pub mod server_worker;
pub mod servers;
pub mod state;
pub mod update;
