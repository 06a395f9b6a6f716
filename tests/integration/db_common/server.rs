//! One scenario, both servers: [`Server`] names PostgreSQL or MySQL/MariaDB, [`TestDb`] is a
//! fresh database on either and [`Admin`] the test's own read-write connection to it, so a test
//! body is written once and run for each provider (see `db_servers`). Skipping and
//! `DEVTOP_REQUIRE_DB=1` behave exactly as for [`PgTestDb`] / [`MyTestDb`].

use super::{
    MyTestDb, PgTestDb, fixture_inserts, mysql_base_url, mysql_up, pg_base_url, pg_up, ts_text,
};
use devtop::db::prisma_table::{MYSQL_DDL, POSTGRES_DDL};
use sqlx::{AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection};

/// A database server the shared scenarios run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// PostgreSQL at `DEVTOP_TEST_PG_URL`.
    Postgres,
    /// MySQL/MariaDB at `DEVTOP_TEST_MYSQL_URL`.
    Mysql,
}

impl Server {
    /// `<pg|my>_<scenario>`: the test's name in skip lines and database names.
    pub fn test_name(self, scenario: &str) -> String {
        let prefix = match self {
            Server::Postgres => "pg",
            Server::Mysql => "my",
        };
        format!("{prefix}_{scenario}")
    }

    /// The URL scheme devtop reads for this server.
    pub fn scheme(self) -> &'static str {
        match self {
            Server::Postgres => "postgresql",
            Server::Mysql => "mysql",
        }
    }

    /// The admin URL of the server (from the environment, else the default).
    pub fn base_url(self) -> String {
        match self {
            Server::Postgres => pg_base_url(),
            Server::Mysql => mysql_base_url(),
        }
    }

    /// The schema devtop reads when the URL names none: PostgreSQL's `public`; MySQL has none.
    pub fn default_schema(self) -> Option<&'static str> {
        match self {
            Server::Postgres => Some("public"),
            Server::Mysql => None,
        }
    }

    /// Prisma's own `_prisma_migrations` DDL for this server.
    pub fn prisma_ddl(self) -> &'static str {
        match self {
            Server::Postgres => POSTGRES_DDL,
            Server::Mysql => MYSQL_DDL,
        }
    }

    /// `true` when the server answers; else prints a skip line (or fails, see module docs).
    pub async fn up(self, test: &str) -> bool {
        match self {
            Server::Postgres => pg_up(test).await,
            Server::Mysql => mysql_up(test).await,
        }
    }

    /// A fresh database, or `None` after a skip line (or a failure, see module docs).
    pub async fn create(self, test: &str) -> Option<TestDb> {
        match self {
            Server::Postgres => PgTestDb::create(test).await.map(TestDb::Pg),
            Server::Mysql => MyTestDb::create(test).await.map(TestDb::My),
        }
    }
}

/// A fresh database on either server, dropped with its guard.
pub enum TestDb {
    /// On PostgreSQL.
    Pg(PgTestDb),
    /// On MySQL/MariaDB.
    My(MyTestDb),
}

impl TestDb {
    /// URL of the test database.
    pub fn url(&self) -> &str {
        match self {
            TestDb::Pg(t) => &t.url,
            TestDb::My(t) => &t.url,
        }
    }

    /// A new admin (read-write) connection to the test database.
    pub async fn admin(&self) -> Admin {
        match self {
            TestDb::Pg(t) => Admin::Pg(t.admin().await),
            TestDb::My(t) => Admin::My(t.admin().await),
        }
    }
}

/// The test's own read-write connection; every call panics on an error (a test failure).
pub enum Admin {
    /// To PostgreSQL.
    Pg(PgConnection),
    /// To MySQL/MariaDB.
    My(MySqlConnection),
}

impl Admin {
    /// Runs `sql` (on PostgreSQL it may hold several statements).
    pub async fn execute(&mut self, sql: &str) {
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Admin::Pg(c) => c.execute(sql).await.map(drop),
            Admin::My(c) => c.execute(sql).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("admin SQL failed: {e}"));
    }

    /// The single BIGINT value `sql` selects.
    pub async fn i64(&mut self, sql: &str) -> i64 {
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Admin::Pg(c) => sqlx::query_scalar(sql).fetch_one(c).await,
            Admin::My(c) => sqlx::query_scalar(sql).fetch_one(c).await,
        }
        .unwrap_or_else(|e| panic!("admin query failed: {e}"))
    }

    /// Closes the connection (its session ends on the server).
    pub async fn close(self) {
        let _ = match self {
            Admin::Pg(c) => c.close().await,
            Admin::My(c) => c.close().await,
        };
    }
}

/// Prisma's table with the shared fixture rows (see `fixture_rows`), written from a session
/// in a non-UTC zone, which proves devtop's conversion does not depend on it. Prisma writes
/// MySQL's DATETIME(3) values in UTC and PostgreSQL's TIMESTAMPTZ with an offset.
pub async fn insert_prisma_fixture(admin: &mut Admin) {
    let (zone, ddl, literal): (&str, &str, fn(String) -> String) = match admin {
        Admin::Pg(_) => ("SET TIME ZONE 'Asia/Kolkata'", POSTGRES_DDL, |t| {
            format!("TIMESTAMPTZ '{t}+00'")
        }),
        Admin::My(_) => ("SET time_zone = '+05:30'", MYSQL_DDL, |t| format!("'{t}'")),
    };
    admin.execute(zone).await;
    admin.execute(ddl).await;
    for sql in fixture_inserts(|_, _, t| literal(ts_text(t))) {
        admin.execute(&sql).await;
    }
}
