//! Pure renderers.
