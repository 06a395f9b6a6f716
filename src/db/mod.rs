//! Database access (sqlx): URL parsing and masking, read-only connections, health probes,
//! Prisma's `_prisma_migrations` table, its migrate lock, and column introspection for drift.
pub mod connect;
pub mod error;
pub mod handshake;
pub mod introspect;
pub mod lock;
pub mod prisma_table;
pub mod probe;
pub mod session_bounds;
pub mod url;
