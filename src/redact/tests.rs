use super::*;

/// (input, expected) for [`text`]: real URL, connection-string, flag and env shapes.
const TEXT_CASES: &[(&str, &str)] = &[
    // PostgreSQL, the plain shape and a flag around it.
    (
        "postgresql://app:s3cret@db:5432/app",
        "postgresql://app:***@db:5432/app",
    ),
    (
        "--from-url=postgresql://app:s3cret@db:5432/app?schema=x",
        "--from-url=postgresql://app:***@db:5432/app?schema=x",
    ),
    // A raw `@` (and `/`, `?`) in the password: the user info ends at the last `@`.
    ("postgresql://u:pa@ss@db/x", "postgresql://u:***@db/x"),
    ("postgres://u:pa/ss@db/x", "postgres://u:***@db/x"),
    ("postgres://u:pa?ss@db/x", "postgres://u:***@db/x"),
    // Percent-encoded password.
    (
        "mysql://root:pa%40ss@localhost:3306/shop",
        "mysql://root:***@localhost:3306/shop",
    ),
    (
        "mongodb+srv://admin:hunter22@cluster0.ab1cd.mongodb.net/app?retryWrites=true&authSource=admin",
        "mongodb+srv://admin:***@cluster0.ab1cd.mongodb.net/app?retryWrites=true&authSource=admin",
    ),
    // SQL Server: `;password=`, also quoted with braces.
    (
        "sqlserver://db.example:1433;database=app;user=sa;password=Secr3t!;encrypt=true",
        "sqlserver://db.example:1433;database=app;user=sa;password=***;encrypt=true",
    ),
    (
        "sqlserver://h:1433;user=sa;password={a;b c};trustServerCertificate=true",
        "sqlserver://h:1433;user=sa;password={***};trustServerCertificate=true",
    ),
    // Prisma Accelerate / Prisma Postgres.
    (
        "prisma+postgres://accelerate.prisma-data.net/?api_key=eyJhbGciOi.x.y",
        "prisma+postgres://accelerate.prisma-data.net/?api_key=***",
    ),
    // Query parameters.
    (
        "postgresql://u@h/d?password=qwerty&sslmode=require",
        "postgresql://u@h/d?password=***&sslmode=require",
    ),
    (
        "postgresql://u:pw1@h/d?sslidentity=id.p12&sslpassword=hunter22",
        "postgresql://u:***@h/d?sslidentity=id.p12&sslpassword=***",
    ),
    // Redis: an empty user, password only.
    (
        "redis://:t0ps3cret@cache:6379/0",
        "redis://:***@cache:6379/0",
    ),
    (
        "rediss://default:t0ps3cret@cache:6380",
        "rediss://default:***@cache:6380",
    ),
    // A `'` in the password (RFC 3986 allows it; found by fuzz/url_redact), quoted or not.
    (
        "postgresql://app:it's@db/app",
        "postgresql://app:***@db/app",
    ),
    ("mongodb://:ab;'c=+@'k@h/x", "mongodb://:***@h/x"),
    ("mysql://app:pa%41@ss'w0rd@db/app", "mysql://app:***@db/app"),
    ("'mongodb://:ab;'c=+@'k@h/x'", "'mongodb://:***@h/x'"),
    (
        "https://u:it's@example.com/p",
        "https://u:***@example.com/p",
    ),
    // A quoted URL without a password stays as it is.
    (
        "'postgresql://u@db/app' 'x@y'",
        "'postgresql://u@db/app' 'x@y'",
    ),
    (
        "DATABASE_URL='postgresql://u:pw@db/app'",
        "DATABASE_URL='postgresql://u:***@db/app'",
    ),
    // Comma lists: every URL, and multi-host URLs.
    (
        "--urls=postgres://a:one@h1/db,postgres://b:two@h2/db",
        "--urls=postgres://a:***@h1/db,postgres://b:***@h2/db",
    ),
    (
        "mongodb://u:pw@h1:27017,h2:27017,h3:27017/db?replicaSet=rs0",
        "mongodb://u:***@h1:27017,h2:27017,h3:27017/db?replicaSet=rs0",
    ),
    // Flags and env assignments.
    ("--password=x", "--password=***"),
    ("--db-password=hunter2", "--db-password=***"),
    ("PGPASSWORD=x psql -h db", "PGPASSWORD=*** psql -h db"),
    ("MYSQL_PWD=x", "MYSQL_PWD=***"),
    (
        "GITHUB_TOKEN=ghp_abc JWT_SECRET=\"a b\"",
        "GITHUB_TOKEN=*** JWT_SECRET=\"***\"",
    ),
    ("password = \"hunter2\"", "password = \"***\""),
    // URLs inside a longer string (NODE_OPTIONS, sh -c).
    (
        "--require ./t.js --db=postgresql://u:pw@h/db --inspect",
        "--require ./t.js --db=postgresql://u:***@h/db --inspect",
    ),
    (
        "sh -c 'DATABASE_URL=\"postgresql://u:pw@h/db\" npx prisma migrate deploy'",
        "sh -c 'DATABASE_URL=\"postgresql://u:***@h/db\" npx prisma migrate deploy'",
    ),
    // SQL and HTTP.
    (
        "ALTER USER app WITH PASSWORD 'n3w-pw';",
        "ALTER USER app WITH PASSWORD '***';",
    ),
    (
        "CREATE USER x IDENTIFIED BY \"pw\"",
        "CREATE USER x IDENTIFIED BY \"***\"",
    ),
    ("Authorization: Bearer abc.def", "Authorization: Bearer ***"),
    // A flag at the end of a row does not swallow the next row.
    (
        "  101 node cli.js --token\n  102 mysql -pX\n  103 node -p3000",
        "  101 node cli.js --token\n  102 mysql -p***\n  103 node -p3000",
    ),
    // Left alone.
    ("mysql://root@h/db", "mysql://root@h/db"),
    (
        "postgres://postgres@127.0.0.1/test",
        "postgres://postgres@127.0.0.1/test",
    ),
    ("https://example.com/a@b", "https://example.com/a@b"),
    ("https://host:8080/a@b", "https://host:8080/a@b"),
    ("file:///home/me@x/dev.db", "file:///home/me@x/dev.db"),
    ("src/index.ts", "src/index.ts"),
    ("PWD=/home/me OLDPWD=/tmp", "PWD=/home/me OLDPWD=/tmp"),
    ("--max-old-space-size=4096", "--max-old-space-size=4096"),
    (
        "password authentication failed for user \"app\"",
        "password authentication failed for user \"app\"",
    ),
    (
        "--password-file=/run/secrets/pw",
        "--password-file=/run/secrets/pw",
    ),
    // `key: value` in object literals and JSON (`node -e …`, `sh -c …` argv).
    (
        "node -e connect({ password: 'hunter22', host: 'db' })",
        "node -e connect({ password: '***', host: 'db' })",
    ),
    (
        r#"{"password":"hunter22","user":"u"}"#,
        r#"{"password":"***","user":"u"}"#,
    ),
    ("token: abc123 next", "token: *** next"),
    // Any `*_key` variable but a public key.
    ("SESSION_KEY=s3cr3tv4lue", "SESSION_KEY=***"),
    (
        "ENCRYPTION_KEY=abc MASTER_KEY=def",
        "ENCRYPTION_KEY=*** MASTER_KEY=***",
    ),
    ("SSH_PUBLIC_KEY=ssh-ed25519", "SSH_PUBLIC_KEY=ssh-ed25519"),
    // A raw `/` in a web URL's password.
    ("https://u:pa/ss@host/x", "https://u:***@host/x"),
    (
        "https://registry.npmjs.org/@scope/pkg",
        "https://registry.npmjs.org/@scope/pkg",
    ),
    // An unclosed quote masks the rest of its line only.
    ("--key=\"x\nnext row", "--key=\"***\nnext row"),
];

#[test]
fn text_table() {
    for (input, want) in TEXT_CASES {
        assert_eq!(text(input), *want, "input: {input}");
    }
}

#[test]
fn argv_table() {
    let v = |s: &[&str]| s.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["mysql", "-uroot", "-pSECRET", "-h", "db", "app"],
            &["mysql", "-uroot", "-p***", "-h", "db", "app"],
        ),
        (
            &["/usr/bin/mariadb-dump", "-pSECRET", "shop"],
            &["/usr/bin/mariadb-dump", "-p***", "shop"],
        ),
        // `-p3000` is a port for everything else.
        (
            &["node", "server.js", "-p3000"],
            &["node", "server.js", "-p3000"],
        ),
        (
            &["node", "cli.js", "--password", "hunter2", "--verbose"],
            &["node", "cli.js", "--password", "***", "--verbose"],
        ),
        (
            &["node", "cli.js", "--token", "--verbose"],
            &["node", "cli.js", "--token", "--verbose"],
        ),
        (
            &["sh", "-c", "mysql -uroot -pSECRET app < dump.sql"],
            &["sh", "-c", "mysql -uroot -p*** app < dump.sql"],
        ),
        (
            &[
                "node",
                "prisma",
                "migrate",
                "diff",
                "--from-url",
                "postgresql://u:pa@ss@db/x",
            ],
            &[
                "node",
                "prisma",
                "migrate",
                "diff",
                "--from-url",
                "postgresql://u:***@db/x",
            ],
        ),
    ];
    for (input, want) in cases {
        assert_eq!(argv(&v(input)), v(want), "input: {input:?}");
    }
}

#[test]
fn nothing_to_mask_borrows() {
    assert!(matches!(
        text("node …/.bin/vite --port 5173"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn redaction_is_idempotent() {
    // Found by fuzz/url_redact: the URL password ran over the `&` that ended the `api_key`
    // value, so a second pass saw a longer value; a `key: value` swallowed the `://` of the
    // next URL, so the URL before it reached further on each pass.
    let extra = [
        (
            "api_key=aaa,sql://:pw@h&:pw@x y",
            "api_key=***sql://:***@x y",
        ),
        (
            "a://h@P:pW:s/?E_l://h@P:pW:s/?E_&&b:/j*@?&to&&b:P:pW:s/?E_l://h@P:pW:s/?E_&&b:/j*@?&to/",
            "a://h@P:pW:***l://h@P:***@?&to&&b:P:pW:***l://h@P:***@?&to/",
        ),
    ];
    for (input, want) in TEXT_CASES.iter().chain(&extra) {
        let once = text(input).into_owned();
        assert_eq!(&once, want, "input: {input}");
        assert_eq!(text(&once), once, "input: {input}");
    }
}

#[test]
fn known_secrets_go_first() {
    let secrets = vec![
        "postgresql://app:p4ss%40word@db/app".to_owned(),
        "p4ss@word".to_owned(),
        String::new(),
    ];
    let msg = "connect postgresql://app:p4ss%40word@db/app failed; pw p4ss@word rejected";
    let out = known(msg, &secrets);
    assert!(!out.contains("p4ss"), "{out}");
    assert!(out.contains("connect *** failed"), "{out}");
}

#[test]
fn secret_keys() {
    for k in [
        "password",
        "PGPASSWORD",
        "--password",
        "sslpassword",
        "api_key",
        "apiKey",
        "x-api-key",
        "MYSQL_PWD",
        "pwd",
        "GITHUB_TOKEN",
        "client_secret",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(is_secret_key(k), "{k}");
    }
    for k in [
        "PWD",
        "user",
        "schema",
        "authSource",
        "sslkey",
        "password_file",
        "max_tokens",
        "port",
        // A database's kinds of key, and the migration lint's analyzer names.
        "primary-key",
        "PRIMARY_KEY",
        "foreign_key",
        "sort-key",
        "SSH_PUBLIC_KEY",
        "destructive",
        "data-dependent",
        "many-tables",
        "narrowing",
    ] {
        assert!(!is_secret_key(k), "{k}");
    }
    for k in [
        "SIGNING_KEY",
        "aws_secret_access_key",
        "x-private-key",
        "key",
    ] {
        assert!(is_secret_key(k), "{k}");
    }
}

/// The preflight's lint lines and ordinary prose about keys stay as written (auditor:
/// `primary-key: *** key of Tag changes to (name)`); real secrets next to them do not.
#[test]
fn lint_text_and_prose_about_keys_are_not_redacted() {
    for line in [
        "prisma/migrations/20250102000000_tags/migration.sql:3: primary-key: primary key of Tag changes to (name)",
        "  migration.sql:7: destructive: DROP TABLE \"Tag\" deletes its rows",
        "  migration.sql:2: data-dependent: ADD COLUMN cameras.uuid TEXT NOT NULL without a DEFAULT",
        "  migration.sql:1: many-tables: 4 tables in one migration",
        "the primary key: (id, name) — a foreign key: Tag.userId",
        "sort_key: createdAt, partition-key: tenant",
    ] {
        assert_eq!(text(line), line);
    }
    for (input, want) in [
        ("primary-key: x token: abc123", "primary-key: x token: ***"),
        ("the key: abc123", "the key: ***"),
        ("api key: sk-123", "api key: ***"),
        ("SIGNING_KEY=abc", "SIGNING_KEY=***"),
        ("{\"key\": \"abc\"}", "{\"key\": \"***\"}"),
    ] {
        assert_eq!(text(input), want, "{input}");
        assert_eq!(text(want), want, "idempotent: {want}");
    }
}

#[test]
fn database_urls_are_masked_through_the_redactor() {
    let dir = std::path::Path::new("/p/prisma");
    for raw in [
        "postgresql://u:pa@ss@db/x",
        "postgresql://u@db/x?password=pa@ss",
        "mysql://root:pa@ss@localhost:3306/shop?sslpassword=pa@ss",
    ] {
        let u = crate::db::url::parse(raw, dir).expect("parses");
        assert!(
            !u.masked.contains("pa@ss") && !u.masked.contains("pa%40ss"),
            "{}",
            u.masked
        );
        assert!(u.masked.contains("***"), "{}", u.masked);
        let msg = u.scrub(&format!("cannot connect to {raw}: bad password pa@ss"));
        assert!(!msg.contains("pa@ss") && !msg.contains("pa%40ss"), "{msg}");
    }
}
