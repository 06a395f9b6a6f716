//! Which database engine a Prisma datasource talks to.

use std::fmt;

/// Which database engine a Prisma datasource talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// PostgreSQL (`postgresql://` or `postgres://`).
    Postgres,
    /// MySQL or MariaDB (`mysql://`).
    Mysql,
    /// SQLite (`file:`).
    Sqlite,
}

impl Provider {
    /// The provider name as written in `datasource db { provider = "..." }`:
    /// `"postgresql"`, `"mysql"` or `"sqlite"`.
    pub fn prisma_name(&self) -> &'static str {
        match self {
            Provider::Postgres => "postgresql",
            Provider::Mysql => "mysql",
            Provider::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prisma_name())
    }
}
