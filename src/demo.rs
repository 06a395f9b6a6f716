//! Demo (in progress).
/// Run the demo.
pub fn run(_c: &crate::cli::Common) -> i32 {
    0
}
