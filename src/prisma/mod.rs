//! Prisma project files: schema.prisma, prisma.config.ts, the migrations folder. Read only,
//! never executed.
pub mod config_ts;
pub mod dotenv;
pub mod lint_files;
pub mod migrations_dir;
pub mod project;
pub mod schema_stamp;
pub mod url_vars;
