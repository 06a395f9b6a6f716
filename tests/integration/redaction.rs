//! The redaction test of issue 7: one unique password is planted in every place a secret can
//! come from, and every output channel is searched for it.
//!
//! Sources: the process environment (`DATABASE_URL` with the password and `?sslpassword=`,
//! `PGPASSWORD`), the project's `.env` (a MySQL URL with a raw `@` in the password that fails
//! to connect — error text — and a Prisma Accelerate `?api_key=` URL), the argv of test-spawned
//! stand-ins (URL shapes, `--password x`, `PGPASSWORD=x`, a comma list, a `mysql -pSECRET`
//! child), a stand-in's NODE_OPTIONS, and the streamed output of the project's Prisma CLI (a
//! script at `node_modules/.bin/prisma` that prints the URL and `PGPASSWORD` it was given).
//!
//! Channels: `status` and `migrations`, text and JSON, stdout and stderr; the dashboard in tmux
//! (main screen with the Logs pane, the details popup showing NODE_OPTIONS, the Databases
//! screen). A leak is any 8-character piece of the password, also across wrapped lines.
//!
//! All processes are stand-ins of this test's fixture, in project scope, ended by its guard.

use crate::common;
use crate::tmux;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{Fixture, Run, devtop_command, run_command};

/// A password no output may show, unique to this run (letters and digits only, so a piece of
/// it is found also when a line wrap or a border splits it).
fn secret() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // Hex digits spelled as the letters g..v, so no PID, marker or hash on screen matches.
    let spelled: String = format!("{:x}{:x}", std::process::id(), nanos & 0xffff_ffff_ffff)
        .chars()
        .filter_map(|c| c.to_digit(16))
        .filter_map(|d| char::from_u32(u32::from('g') + d))
        .collect();
    format!("Zq{spelled}")
}

/// Panics when `text` shows any 8-character piece of `secret` (whitespace and box drawing
/// removed first, so a wrapped or bordered piece is found too).
fn assert_no_leak(channel: &str, text: &str, secret: &str) {
    let squeezed: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
    let chars: Vec<char> = secret.chars().collect();
    for piece in chars.windows(8) {
        let piece: String = piece.iter().collect();
        assert!(
            !text.contains(&piece) && !squeezed.contains(&piece),
            "{channel} shows a piece of the password ({piece}):\n{text}"
        );
    }
}

/// Writes the project: schema, devtop.toml (environments `staging`, `accel`), `.env`, and a
/// Prisma CLI that echoes its URL.
fn write_project(fx: &Fixture, secret: &str) {
    let root = fx.root();
    std::fs::create_dir_all(root.join("prisma/migrations")).expect("prisma dir");
    std::fs::write(
        root.join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    )
    .expect("schema");
    fx.write_config(
        "[[database]]\nname = \"staging\"\nurl_env = \"STAGING_DATABASE_URL\"\n\
         [[database]]\nname = \"accel\"\nurl_env = \"ACCEL_URL\"\n",
    );
    std::fs::write(
        root.join(".env"),
        format!(
            "STAGING_DATABASE_URL=\"mysql://root:pa@{secret}@127.0.0.1:1/shop\"\n\
             ACCEL_URL=\"prisma+postgres://accelerate.prisma-data.net/?api_key={secret}\"\n"
        ),
    )
    .expect(".env");
    let bin = root.join("node_modules/.bin");
    std::fs::create_dir_all(&bin).expect("node_modules/.bin");
    let cli = bin.join("prisma");
    std::fs::write(
        &cli,
        "#!/bin/sh\n\
         echo \"[+] diff against $DATABASE_URL\"\n\
         echo \"  PGPASSWORD=$PGPASSWORD\"\n\
         echo \"Error: cannot reach $DATABASE_URL\" >&2\n\
         case \"$DATABASE_URL\" in mysql*) exit 1;; esac\n\
         exit 2\n",
    )
    .expect("prisma script");
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The process environment devtop gets.
fn env(secret: &str) -> Vec<(String, String)> {
    vec![
        (
            "DATABASE_URL".into(),
            format!("postgresql://postgres:{secret}@127.0.0.1:5432/postgres?sslpassword={secret}"),
        ),
        ("PGPASSWORD".into(), secret.to_owned()),
    ]
}

/// Stand-ins carrying the password in argv and NODE_OPTIONS.
fn spawn_processes(fx: &Fixture, secret: &str) {
    fx.standin("node")
        .args([
            "node_modules/.bin/prisma".to_owned(),
            "migrate".into(),
            "diff".into(),
            "--from-url".into(),
            format!("postgresql://u:pa@{secret}@db/x"),
            format!("--to-url=sqlserver://db:1433;user=sa;password={secret};encrypt=true"),
            "--password".into(),
            secret.to_owned(),
            format!("PGPASSWORD={secret}"),
            format!("--urls=postgres://a:{secret}@h1/db,postgres://b:{secret}@h2/db"),
            format!("mongodb+srv://admin:{secret}@cluster0.example.net/app"),
            format!("redis://:{secret}@cache:6379/0"),
        ])
        .child(
            "mysql",
            ["-uroot".to_owned(), format!("-p{secret}"), "shop".into()],
            "sleep",
        )
        .mode("child")
        .spawn();
    let mut cmd = std::process::Command::new(fx.link("node"));
    cmd.args(["nodeopts-app.js", fx.marker()])
        .current_dir(fx.root())
        .env(devtop::demo::standin::ENV_MODE, "sleep")
        .env(
            devtop::demo::standin::ENV_WATCH_PID,
            std::process::id().to_string(),
        )
        .env(
            "NODE_OPTIONS",
            format!("--require ./t.js --db=postgresql://u:{secret}@h/db --api-key {secret}"),
        );
    fx.spawn_command(&mut cmd);
}

fn devtop(fx: &Fixture, args: &[&str], secret: &str) -> Run {
    let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    args.extend([
        "--scope".to_owned(),
        "project".to_owned(),
        "--project".to_owned(),
        fx.root().to_string_lossy().into_owned(),
    ]);
    let mut cmd = devtop_command();
    cmd.args(&args).current_dir(fx.root());
    for (k, v) in env(secret) {
        cmd.env(k, v);
    }
    cmd.env_remove("STAGING_DATABASE_URL")
        .env_remove("ACCEL_URL");
    run_command(&mut cmd, args)
}

#[test]
fn a_planted_password_reaches_no_output_channel() {
    let fx = Fixture::new();
    let secret = secret();
    write_project(&fx, &secret);
    spawn_processes(&fx, &secret);

    let status = devtop(&fx, &["status"], &secret);
    let status_json = devtop(&fx, &["status", "--json"], &secret);
    let migrations = devtop(&fx, &["migrations"], &secret);
    // The Accelerate URL is a configuration error for `migrations` (exit 2, named on stderr):
    // the JSON run asks for the MySQL environment alone, so it prints its matrix.
    let migrations_json = devtop(&fx, &["migrations", "--json", "--env", "staging"], &secret);
    for (name, run) in [
        ("status", &status),
        ("status --json", &status_json),
        ("migrations", &migrations),
        ("migrations --json", &migrations_json),
    ] {
        assert!(run.code.is_some(), "{run}");
        assert_no_leak(&format!("{name} stdout"), &run.stdout, &secret);
        assert_no_leak(&format!("{name} stderr"), &run.stderr, &secret);
    }
    // The channels really carried the planted places (masked).
    for want in [
        "postgresql://u:***@db/x",
        "password=***;encrypt=true",
        "--password ***",
        "PGPASSWORD=***",
        "postgres://b:***@h2/db",
        "-p***",
        "[+] diff against ***",
    ] {
        assert!(
            status.stdout.contains(want),
            "status lacks {want}: {status}"
        );
    }
    assert!(
        migrations_json
            .stdout
            .contains("mysql://root:***@127.0.0.1:1/shop"),
        "{migrations_json}"
    );
    assert_eq!(migrations.code, Some(2), "{migrations}");
    assert!(
        migrations.stderr.contains("accel: ACCEL_URL: unsupported"),
        "{migrations}"
    );

    dashboard(&fx, &secret);
}

/// The dashboard in tmux: main screen (processes, Logs), the details popup of the
/// NODE_OPTIONS stand-in, the Databases screen.
fn dashboard(fx: &Fixture, secret: &str) {
    if !tmux::available("a_planted_password_reaches_no_output_channel (dashboard)") {
        return;
    }
    // The variables go through a script, so no argv (of tmux or a shell) holds them.
    let script = fx.root().join("run-devtop.sh");
    let mut text = String::from("unset STAGING_DATABASE_URL ACCEL_URL DEVTOP_STANDIN\n");
    for (k, v) in env(secret) {
        text.push_str(&format!("export {k}='{v}'\n"));
    }
    text.push_str(&format!(
        "exec {} --scope project --project {}\n",
        env!("CARGO_BIN_EXE_devtop"),
        fx.root().display()
    ));
    std::fs::write(&script, text).expect("script");
    let name = format!("devtop-redact-{}", std::process::id());
    let s = tmux::Session::start(&name, 160, 48, &format!("sh {}", script.display()));

    let main = s.wait(Duration::from_secs(30), "the stand-ins", |t| {
        t.contains("nodeopts-app.js") && t.contains("mysql") && t.contains("staging")
    });
    assert_no_leak("dashboard main screen", &main, secret);

    s.keys("/");
    for c in "nodeopts".chars() {
        s.keys(&c.to_string());
    }
    s.keys("Enter");
    // The filter keeps ancestors as context rows above the match: the match is the last row.
    s.keys("G");
    s.keys("Enter");
    let details = s.wait(Duration::from_secs(10), "the details popup", |t| {
        t.contains("NODE_OPTIONS") && t.contains("--require")
    });
    assert_no_leak("details popup", &details, secret);
    assert!(details.contains("postgresql://u:***@h/db"), "{details}");
    s.keys("Escape");
    // Wait for the popup to close: an Escape and a `2` read together are Alt-2 to any terminal
    // decoder, not two keys.
    s.wait(Duration::from_secs(10), "the details popup to close", |t| {
        !t.contains("NODE_OPTIONS")
    });
    s.keys("2");
    let dbs = s.wait(
        Duration::from_secs(30),
        "the databases and the CLI diff",
        |t| t.contains("accel") && t.contains("diff against"),
    );
    assert_no_leak("databases screen", &dbs, secret);
}
