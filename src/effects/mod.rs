//! Effects: the only code that changes the outside world. Each returns a result value.
pub mod prisma_diff;
pub mod signal;
pub mod tether;
