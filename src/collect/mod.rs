//! Collectors: code that reads the world. Parsers take `&str` so tests feed fixture files.
pub mod memory;
pub mod ports;
pub mod processes;
pub mod tasks;
