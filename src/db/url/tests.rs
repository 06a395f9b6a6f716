//! Datasource URL tests: providers, masking, Prisma parameter translation, SQLite paths and
//! errors that never leak the password.
#![allow(clippy::unwrap_used)]

use super::*;

fn dir() -> PathBuf {
    PathBuf::from("/proj/prisma")
}

#[test]
fn postgres_masks_password_and_defaults_schema() {
    let u = parse("postgresql://app:s3cr3t-pw@db.example:5432/app", &dir()).unwrap();
    assert_eq!(u.provider, Provider::Postgres);
    assert_eq!(u.masked, "postgresql://app:***@db.example:5432/app");
    assert_eq!(u.schema.as_deref(), Some("public"));
    assert!(u.dropped.is_empty());
    assert_eq!(
        u.sqlx_url(),
        "postgresql://app:s3cr3t-pw@db.example:5432/app"
    );
    assert!(!format!("{u:?}").contains("s3cr3t"));
}

#[test]
fn postgres_short_scheme_and_no_password() {
    let u = parse("postgres://postgres@127.0.0.1/test", &dir()).unwrap();
    assert_eq!(u.provider, Provider::Postgres);
    assert_eq!(u.masked, "postgres://postgres@127.0.0.1/test");
}

#[test]
fn postgres_prisma_params_are_removed_and_listed() {
    let raw = "postgresql://u:pw@h:5432/d?schema=app&connection_limit=5&pool_timeout=10\
               &pgbouncer=true&socket_timeout=3&connect_timeout=7&statement_cache_size=0\
               &sslidentity=id.p12&sslpassword=hunter22&sslmode=require&application_name=x";
    let u = parse(raw, &dir()).unwrap();
    assert_eq!(u.schema.as_deref(), Some("app"));
    for p in [
        "schema",
        "connection_limit",
        "pool_timeout",
        "pgbouncer",
        "socket_timeout",
        "connect_timeout",
        "statement_cache_size",
        "sslidentity",
        "sslpassword",
    ] {
        assert!(
            u.dropped.iter().any(|d| d == p),
            "{p} not in {:?}",
            u.dropped
        );
        assert!(
            !u.sqlx_url().contains(&format!("{p}=")),
            "{p} leaked to sqlx"
        );
    }
    assert!(u.sqlx_url().contains("sslmode=require"));
    assert!(u.sqlx_url().contains("application_name=x"));
    assert!(u.sqlx_url().contains("statement-cache-capacity=0"));
    assert!(!u.masked.contains("hunter22"));
    assert!(u.masked.contains("sslpassword=***"));
    assert!(!u.dropped.iter().any(|d| d.contains("hunter22")));
}

#[test]
fn postgres_sslcert_is_the_ca_file_relative_to_schema_dir() {
    let u = parse(
        "postgresql://h/d?sslmode=require&sslcert=./certs/ca.pem",
        &dir(),
    )
    .unwrap();
    assert!(
        u.sqlx_url()
            .contains("sslrootcert=%2Fproj%2Fprisma%2Fcerts%2Fca.pem"),
        "{}",
        u.sqlx_url()
    );
    assert!(u.dropped.contains(&"sslcert".to_owned()));
}

#[test]
fn postgres_sslaccept_maps_to_verification_level() {
    let strict = parse("postgresql://h/d?sslmode=require&sslaccept=strict", &dir()).unwrap();
    assert!(strict.sqlx_url().contains("sslmode=verify-full"));
    let lax = parse(
        "postgresql://h/d?sslmode=verify-full&sslaccept=accept_invalid_certs",
        &dir(),
    )
    .unwrap();
    assert!(lax.sqlx_url().contains("sslmode=require"));
    assert!(!lax.sqlx_url().contains("sslaccept"));
}

#[test]
fn mysql_params() {
    let u = parse(
        "mysql://root:pa%40ss@localhost:3306/shop?connection_limit=1&sslaccept=strict\
         &sslcert=ca.pem&socket=(/tmp/mysql.sock)",
        &dir(),
    )
    .unwrap();
    assert_eq!(u.provider, Provider::Mysql);
    assert_eq!(u.schema, None);
    assert!(
        u.masked
            .starts_with("mysql://root:***@localhost:3306/shop?")
    );
    assert!(!u.masked.contains("pa%40ss"));
    let s = u.sqlx_url();
    assert!(s.contains("ssl-mode=VERIFY_IDENTITY"), "{s}");
    assert!(s.contains("ssl-ca=%2Fproj%2Fprisma%2Fca.pem"), "{s}");
    assert!(s.contains("socket=%2Ftmp%2Fmysql.sock"), "{s}");
    assert!(!s.contains("connection_limit"));
    assert!(u.dropped.contains(&"connection_limit".to_owned()));
    let lax = parse("mysql://root@h/db?sslaccept=accept_invalid_certs", &dir()).unwrap();
    assert!(lax.sqlx_url().contains("ssl-mode=REQUIRED"));
}

#[test]
fn sqlite_paths_resolve_against_schema_dir() {
    let rel = parse("file:./dev.db", &dir()).unwrap();
    assert_eq!(rel.provider, Provider::Sqlite);
    assert_eq!(rel.sqlite_path, Some(PathBuf::from("/proj/prisma/dev.db")));
    assert_eq!(rel.masked, "file:./dev.db");
    assert_eq!(rel.schema, None);
    let bare = parse("file:dev.db?connection_limit=1", &dir()).unwrap();
    assert_eq!(bare.sqlite_path, Some(PathBuf::from("/proj/prisma/dev.db")));
    assert_eq!(bare.dropped, vec!["connection_limit".to_owned()]);
    let up = parse("file:../data/x.db", &dir()).unwrap();
    assert_eq!(
        up.sqlite_path,
        Some(PathBuf::from("/proj/prisma/../data/x.db"))
    );
    let abs = parse("file:/var/db/abs.db", &dir()).unwrap();
    assert_eq!(abs.sqlite_path, Some(PathBuf::from("/var/db/abs.db")));
    let abs3 = parse("file:///var/db/abs.db", &dir()).unwrap();
    assert_eq!(abs3.sqlite_path, Some(PathBuf::from("/var/db/abs.db")));
}

#[test]
fn errors_do_not_leak_the_password() {
    assert_eq!(parse("   ", &dir()), Err(UrlError::Empty));
    assert_eq!(
        parse("mongodb://u:topsecret@h/db", &dir()),
        Err(UrlError::UnsupportedScheme("mongodb".into()))
    );
    assert!(matches!(
        parse("prisma+postgres://accelerate.prisma-data.net/?api_key=topsecret", &dir()),
        Err(UrlError::UnsupportedScheme(s)) if s == "prisma+postgres"
    ));
    let bad_port = parse("postgresql://u:topsecret@h:99999/db", &dir()).unwrap_err();
    assert!(matches!(bad_port, UrlError::Invalid(_)));
    assert!(!bad_port.to_string().contains("topsecret"));
    let no_scheme = parse("u:topsecret@h/db", &dir()).unwrap_err();
    assert!(!no_scheme.to_string().contains("topsecret"), "{no_scheme}");
    assert!(matches!(parse("file:", &dir()), Err(UrlError::Invalid(_))));
    assert!(matches!(
        parse("file::memory:", &dir()),
        Err(UrlError::Invalid(_))
    ));
}

#[test]
fn scrub_removes_url_and_password() {
    let u = parse("postgresql://app:s3cr3t-pw@db:5432/app", &dir()).unwrap();
    let msg = "failed for postgresql://app:s3cr3t-pw@db:5432/app (pw s3cr3t-pw)";
    let s = u.scrub(msg);
    assert!(!s.contains("s3cr3t"), "{s}");
}

#[test]
fn percent_decoding_keeps_plus_and_ampersand() {
    assert_eq!(percent_decode("a+b&c%40d"), "a+b&c@d");
    let u = parse("mysql://u:pw&%40x@db/app", &dir()).unwrap();
    let s = u.scrub("denied (password pw&@x)");
    assert!(!s.contains("pw&@x"), "{s}");
    let lite = parse("file:./a&b.db", &dir()).unwrap();
    assert_eq!(lite.sqlite_path, Some(dir().join("a&b.db")));
}

#[test]
fn scrub_masks_a_bare_password_with_a_raw_at_as_written() {
    // Found by fuzz/url_redact: with a raw `@` next to a `%XX` escape, the password as
    // written is neither the parser's form (`pa%41%40ss`) nor the decoded one (`paA@ss`).
    let u = parse("postgresql://app:pa%41@ss'w0rd@db/app", &dir()).unwrap();
    let s = u.scrub("authentication failed (password pa%41@ss'w0rd)");
    assert!(!s.contains("ss'w0rd"), "{s}");
}

#[test]
fn prisma_names() {
    assert_eq!(Provider::Postgres.prisma_name(), "postgresql");
    assert_eq!(Provider::Mysql.prisma_name(), "mysql");
    assert_eq!(Provider::Sqlite.prisma_name(), "sqlite");
}
