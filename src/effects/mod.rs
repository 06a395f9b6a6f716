//! Effects: the only code that changes the outside world. Each returns a result value.
pub mod alert;
pub mod child;
pub mod deaths;
pub mod migrate;
pub mod pidfd;
pub mod preflight;
pub mod prisma_cli;
pub mod prisma_diff;
pub mod servers;
pub mod signal;
pub mod tether;
