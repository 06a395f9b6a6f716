//! Role classification and command display on real-world argv shapes.
#![allow(clippy::unwrap_used)]
use super::*;

fn argv(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn role(name: &str, cmd: &str) -> Role {
    classify(name, &argv(cmd))
}

#[test]
fn prisma_subcommands() {
    let bin = "node /app/node_modules/.bin/prisma";
    assert_eq!(
        role("node", &format!("{bin} migrate dev --name add_uuid")),
        Role::PrismaMigrate
    );
    assert_eq!(
        role("node", &format!("{bin} migrate deploy")),
        Role::PrismaMigrate
    );
    assert_eq!(
        role("node", &format!("{bin} migrate reset --force")),
        Role::PrismaMigrate
    );
    assert_eq!(
        role("node", &format!("{bin} migrate resolve --applied x")),
        Role::PrismaMigrate
    );
    assert_eq!(
        role("node", &format!("{bin} migrate diff --from-empty")),
        Role::PrismaOther
    );
    assert_eq!(
        role("node", &format!("{bin} migrate status")),
        Role::PrismaOther
    );
    assert_eq!(
        role("node", &format!("{bin} studio --port 5555")),
        Role::PrismaStudio
    );
    assert_eq!(
        role("node", &format!("{bin} generate")),
        Role::PrismaGenerate
    );
    assert_eq!(role("node", &format!("{bin} db push")), Role::PrismaDb);
    assert_eq!(role("node", &format!("{bin} db pull")), Role::PrismaDb);
    assert_eq!(role("node", &format!("{bin} db seed")), Role::PrismaDb);
    assert_eq!(
        role("node", &format!("{bin} db execute --file x.sql")),
        Role::PrismaDb
    );
    assert_eq!(role("node", &format!("{bin} validate")), Role::PrismaOther);
    assert_eq!(
        role(
            "node",
            "node /app/node_modules/prisma/build/index.js migrate dev"
        ),
        Role::PrismaMigrate
    );
}

#[test]
fn schema_engine_by_name_or_argv0() {
    assert_eq!(role("schema-engine", ""), Role::SchemaEngine);
    assert_eq!(
        role(
            "schema-engine-d",
            "/app/node_modules/@prisma/engines/schema-engine-debian-openssl-3.0.x --datamodels x"
        ),
        Role::SchemaEngine
    );
}

#[test]
fn wrappers_are_npm_not_what_they_run() {
    assert_eq!(
        role("node", "node /usr/bin/npx prisma migrate dev"),
        Role::Npm
    );
    assert_eq!(role("npm run dev", "npm run dev"), Role::Npm);
    assert_eq!(
        classify("npm run dev", &["npm run dev".to_owned()]),
        Role::Npm
    );
    assert_eq!(
        role("node", "node /usr/lib/node_modules/pnpm/bin/pnpm.cjs dev"),
        Role::Npm
    );
    assert_eq!(role("bun", "bun run dev"), Role::Npm);
}

#[test]
fn dev_servers() {
    assert_eq!(
        role("node", "node /app/node_modules/.bin/tsx watch src/index.ts"),
        Role::Tsx
    );
    assert_eq!(
        role(
            "node",
            "node --require /app/node_modules/tsx/dist/preflight.cjs --import file:///app/node_modules/tsx/dist/loader.mjs src/index.ts"
        ),
        Role::Tsx
    );
    assert_eq!(
        role("node", "node /app/node_modules/.bin/vite --port 3011"),
        Role::Vite
    );
    assert_eq!(
        role("node", "node /app/node_modules/vite/bin/vite.js"),
        Role::Vite
    );
    assert_eq!(
        role("next-server (v1", "node /app/node_modules/.bin/next dev"),
        Role::Next
    );
    assert_eq!(
        role("node", "node /app/node_modules/.bin/nodemon src/x.js"),
        Role::Nodemon
    );
    assert_eq!(role("node", "node server.js"), Role::Node);
    assert_eq!(
        role("node", "node --max-old-space-size=4096 dist/main.js"),
        Role::Node
    );
}

#[test]
fn shells_wrappers_and_retitled_servers() {
    // npm's script shell is a shell, never the tool it starts.
    assert_eq!(role("sh", "sh -c vite"), Role::Shell);
    assert_eq!(
        classify(
            "sh",
            &[
                "/bin/sh".into(),
                "-c".into(),
                "tsx watch src/index.ts".into()
            ]
        ),
        Role::Shell
    );
    assert_eq!(role("bash", "bash -lc vite"), Role::Shell);
    // A shell running a script file is what the script is.
    assert_eq!(
        role("sh", "sh /app/node_modules/.bin/prisma migrate dev"),
        Role::PrismaMigrate
    );
    // npm rewrites its argv into one string.
    assert_eq!(
        classify(
            "npm exec tsx wa",
            &["npm exec tsx watch src/index.ts".to_owned()]
        ),
        Role::Npm
    );
    assert_eq!(
        role(
            "node",
            "node /app/node_modules/.bin/concurrently npm:dev npm:api"
        ),
        Role::Npm
    );
    // Next's server retitles itself.
    assert_eq!(
        classify("next-server (v1", &["next-server (v16.4.6)".to_owned()]),
        Role::Next
    );
    let words: Vec<String> = ["node", "next"].map(String::from).to_vec();
    assert!(matches_words(
        "next-server (v1",
        &["next-server (v16.4.6)".to_owned()],
        &words
    ));
    // pnpm's store layout.
    assert_eq!(
        role(
            "node",
            "node /app/node_modules/.pnpm/prisma@7.1.0/node_modules/prisma/build/index.js migrate dev"
        ),
        Role::PrismaMigrate
    );
    assert!(Role::Shell.is_wrapper() && Role::Npm.is_wrapper());
    assert!(!Role::Vite.is_wrapper());
    assert!(is_shell_name("-bash") && is_shell_name("/bin/sh") && !is_shell_name("node"));
}

#[test]
fn command_column_keeps_recognisable_words() {
    assert_eq!(
        display_command(
            "npm exec tsx wa",
            &["npm exec tsx watch src/index.ts".to_owned()]
        ),
        "npm exec tsx watch src/index.ts"
    );
    assert_eq!(
        display_command(
            "node",
            &argv(
                "/usr/bin/node /home/dev/app/node_modules/.pnpm/prisma@7.1.0/node_modules/prisma/build/index.js migrate dev"
            )
        ),
        "node …/prisma/build/index.js migrate dev"
    );
    assert_eq!(
        display_command(
            "node",
            &argv("node /home/dev/app/node_modules/.bin/prisma migrate dev")
        ),
        "node …/.bin/prisma migrate dev"
    );
    assert_eq!(
        display_command(
            "node",
            &argv("node /home/dev/app/node_modules/@prisma/engines/dist/a/b/c.js")
        ),
        "node …/@prisma/engines/…/c.js"
    );
    assert_eq!(
        display_command("node", &argv("node /home/dev/somewhere/deep/server.js")),
        "node …/deep/server.js"
    );
    assert_eq!(display_command("kworker", &[]), "[kworker]");
    assert_eq!(
        node_modules_package("/a/node_modules/.pnpm/x@1/node_modules/@scope/pkg/i.js"),
        Some("@scope/pkg")
    );
}

#[test]
fn matching_words() {
    let words: Vec<String> = ["node", "prisma", "tsx", "vite", "schema-engine"]
        .map(String::from)
        .to_vec();
    assert!(matches_words("node", &argv("node x.js"), &words));
    assert!(matches_words(
        "schema-engine-d",
        &argv("/x/schema-engine-debian"),
        &words
    ));
    assert!(matches_words(
        "MainThread",
        &argv("/app/node_modules/.bin/vite"),
        &words
    ));
    assert!(!matches_words("bash", &argv("bash"), &words));
    assert!(!matches_words("vim", &argv("vim node.txt"), &words));
    assert!(!matches_words("sleep", &argv("sleep 100"), &words));
}

#[test]
fn max_old_space() {
    assert_eq!(
        max_old_space_mib(&argv("node --max-old-space-size=4096 x"), None),
        Some(4096)
    );
    assert_eq!(
        max_old_space_mib(
            &argv("node x"),
            Some("--enable-source-maps --max-old-space-size=2048")
        ),
        Some(2048)
    );
    assert_eq!(max_old_space_mib(&argv("node x"), Some("--inspect")), None);
    assert_eq!(max_old_space_mib(&argv("node x"), None), None);
}

#[test]
fn a_process_alone_is_other_unless_node_or_a_dev_tool() {
    let alone = |name: &str, cmd: &str| classify_alone(name, &argv(cmd));
    assert_eq!(
        alone("python3", "/usr/bin/python3 -m http.server 8000"),
        Role::Other
    );
    assert_eq!(alone("nginx", "nginx: master process"), Role::Other);
    assert_eq!(alone("node", "/usr/bin/node server.js"), Role::Node);
    assert_eq!(alone("node", "node node_modules/.bin/vite"), Role::Vite);
    assert_eq!(alone("npm run dev", "npm run dev"), Role::Npm);
}
