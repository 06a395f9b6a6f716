//! devtop: "htop for the dev stack" — library crate behind the `devtop` binary.
//!
//! Layout: `model` holds pure types and logic (no I/O), `collect` reads the world (/proc,
//! sysinfo), `effects` changes it (signals), `tui`/`ui` are the interactive face and
//! `headless` the scripted one; both use the same collectors.
#![deny(clippy::unwrap_used)]

pub mod app;
pub mod bounded_read;
pub mod cli;
pub mod collect;
pub mod config;
pub mod db;
pub mod demo;
pub mod effects;
pub mod headless;
#[cfg(test)]
mod layering;
pub mod model;
pub mod prisma;
pub mod project_scan;
pub mod redact;
pub mod sanitize;
pub mod setup;
pub mod tui;
pub mod ui;
