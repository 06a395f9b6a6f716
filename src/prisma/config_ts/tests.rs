//! prisma.config.ts reader tests: one per recognised form, plus configs it must refuse to guess.
#![allow(clippy::unwrap_used)]

use super::*;

const FIXTURE: &str = include_str!("../../../tests/fixtures/prisma/prisma.config.ts");

fn read(schema: &str, migrations: &str, url: &str) -> PrismaConfigTs {
    parse(&format!(
        "import {{ defineConfig, env }} from 'prisma/config'\n\
         export default defineConfig({{\n  schema: {schema},\n  migrations: {{ path: {migrations} }},\n  \
         datasource: {{ url: {url} }},\n}})\n"
    ))
}

#[test]
fn fixture_define_config() {
    assert_eq!(
        parse(FIXTURE),
        PrismaConfigTs {
            schema: Some("prisma/schema.prisma".into()),
            migrations: Some("prisma/migrations".into()),
            url_env: Some("DATABASE_URL".into()),
            unreadable: vec![],
            errors: vec![],
        }
    );
}

#[test]
fn quotes_single_double_back() {
    for q in ["'", "\"", "`"] {
        let c = read(
            &format!("{q}db/schema.prisma{q}"),
            &format!("{q}db/migrations{q}"),
            "env('DIRECT_URL')",
        );
        assert_eq!(c.schema.as_deref(), Some("db/schema.prisma"), "{q}");
        assert_eq!(c.migrations.as_deref(), Some("db/migrations"), "{q}");
        assert_eq!(c.url_env.as_deref(), Some("DIRECT_URL"));
        assert!(c.unreadable.is_empty(), "{:?}", c.unreadable);
    }
}

#[test]
fn path_join_forms() {
    let cases = [
        (
            r#"path.join("prisma", "schema.prisma")"#,
            "prisma/schema.prisma",
        ),
        (
            r#"path.join(__dirname, "prisma", "schema")"#,
            "prisma/schema",
        ),
        (
            r#"path.resolve(import.meta.dirname, 'db', 'schema.prisma')"#,
            "db/schema.prisma",
        ),
        (
            r#"join(process.cwd(), "prisma/", "/abs.prisma")"#,
            "/abs.prisma",
        ),
        (r#"path.posix.join("a", "b.prisma")"#, "a/b.prisma"),
        (r#"path.join(__dirname)"#, "."),
    ];
    for (expr, want) in cases {
        let c = read(expr, "'m'", "env('X')");
        assert_eq!(c.schema.as_deref(), Some(want), "{expr}");
    }
}

#[test]
fn process_env_urls() {
    for (expr, want) in [
        ("process.env.DATABASE_URL", "DATABASE_URL"),
        ("process.env.DATABASE_URL!", "DATABASE_URL"),
        ("process.env['DIRECT_URL'] as string", "DIRECT_URL"),
        (
            "process.env.PG_URL ?? 'postgresql://localhost/dev'",
            "PG_URL",
        ),
        ("env(\"DATABASE_URL\")", "DATABASE_URL"),
    ] {
        let c = read("'s.prisma'", "'m'", expr);
        assert_eq!(c.url_env.as_deref(), Some(want), "{expr}");
        assert!(c.unreadable.is_empty(), "{expr}: {:?}", c.unreadable);
    }
}

#[test]
fn literal_url_is_neither_env_nor_unreadable() {
    let c = read("'s.prisma'", "'m'", "'file:./dev.db'");
    assert_eq!(c.url_env, None);
    assert!(c.unreadable.is_empty());
}

#[test]
fn satisfies_prisma_config() {
    let c = parse(
        "import type { PrismaConfig } from 'prisma'\n\
         export default {\n  schema: 'prisma/schema.prisma',\n  migrations: { path: 'prisma/migrations' },\n\
         } satisfies PrismaConfig\n",
    );
    assert_eq!(c.schema.as_deref(), Some("prisma/schema.prisma"));
    assert_eq!(c.migrations.as_deref(), Some("prisma/migrations"));
    assert_eq!(c.url_env, None);
    assert!(c.unreadable.is_empty());
}

#[test]
fn named_const_export_and_const_values() {
    let c = parse(
        "const schemaDir = 'backend/prisma'\n\
         const dbUrl = process.env.APP_DB_URL!\n\
         const config: PrismaConfig = {\n  schema: path.join(schemaDir, 'schema.prisma'),\n\
           migrations: { path: `${schemaDir}/migrations` },\n  datasource: { url: dbUrl },\n}\n\
         export default config\n",
    );
    assert_eq!(c.schema.as_deref(), Some("backend/prisma/schema.prisma"));
    assert_eq!(c.migrations, None);
    assert_eq!(c.url_env.as_deref(), Some("APP_DB_URL"));
    assert_eq!(c.unreadable, ["migrations.path: computed at runtime"]);
}

#[test]
fn module_exports_and_shorthand() {
    let c = parse(
        "const { defineConfig } = require('prisma/config')\nconst schema = \"db/schema.prisma\"\n\
         module.exports = defineConfig({ schema, migrations: { path: \"db/migrations\" } })\n",
    );
    assert_eq!(c.schema.as_deref(), Some("db/schema.prisma"));
    assert_eq!(c.migrations.as_deref(), Some("db/migrations"));
    let c = parse("module.exports = { \"schema\": 'x.prisma' }");
    assert_eq!(c.schema.as_deref(), Some("x.prisma"));
}

#[test]
fn computed_schema_path_is_unreadable() {
    let c = parse(
        "import { defineConfig } from 'prisma/config'\n\
         const root = findRoot()\n\
         export default defineConfig({\n  schema: path.join(root, 'prisma', 'schema.prisma'),\n  \
         migrations: { path: process.env.CI ? 'ci/migrations' : 'prisma/migrations' },\n  \
         datasource: { url: getUrl() },\n})\n",
    );
    assert_eq!(c.schema, None);
    assert_eq!(c.migrations, None);
    assert_eq!(c.url_env, None);
    assert_eq!(
        c.unreadable,
        [
            "schema: computed at runtime",
            "migrations.path: computed at runtime",
            "datasource.url: computed at runtime"
        ]
    );
}

#[test]
fn other_dynamic_forms() {
    let c = read("`${dir}/schema.prisma`", "'a' + 'b'", "process.env");
    assert_eq!(c.schema, None);
    assert_eq!(c.migrations, None);
    assert_eq!(c.unreadable.len(), 3, "{:?}", c.unreadable);
    let c = read("process.env.SCHEMA_PATH", "'m'", "env('X')");
    assert_eq!(
        c.unreadable,
        ["schema: read from environment variable SCHEMA_PATH"]
    );
    let c = parse("export default defineConfig({ migrations: getMigrations() })");
    assert_eq!(c.unreadable, ["migrations: computed at runtime"]);
}

#[test]
fn members_that_are_skipped() {
    let c = parse(
        "export default defineConfig({\n  ...base,\n  async adapter() { return { schema: 'no' } },\n  \
         ['computed']: 1,\n  earlyAccess: true,\n  studio: { port: 5555 },\n  schema: 'yes.prisma',\n})",
    );
    assert_eq!(c.schema.as_deref(), Some("yes.prisma"));
    assert!(c.unreadable.is_empty());
}

#[test]
fn no_recognisable_config() {
    for text in [
        "",
        "export default makeConfig()",
        "export default async () => ({ schema: 'x' })",
        "console.log('hi')",
    ] {
        let c = parse(text);
        assert_eq!(c.schema, None, "{text}");
        assert_eq!(
            c.unreadable,
            ["config: no static config object found"],
            "{text}"
        );
    }
}

#[test]
fn garbage_never_panics() {
    for text in [
        "defineConfig(",
        "defineConfig({",
        "defineConfig({ schema:",
        "defineConfig({ schema: path.join(",
        "defineConfig({ schema: path.join('a',",
        "defineConfig({ url: process.env.",
        "export default",
        "export default x; const x =",
        "export default a; const a = b; const b = a",
        "'unterminated",
        "`unterminated ${",
        "/* unterminated",
        "}}}))) defineConfig({ ]]] })",
    ] {
        let _ = parse(text);
    }
    for (i, _) in FIXTURE.char_indices() {
        let _ = parse(&FIXTURE[..i]);
    }
}

#[test]
fn deep_nesting_is_refused_with_its_line() {
    // 20,000 nested objects used to overflow the stack of every command.
    let deep = format!(
        "import {{ defineConfig }} from \"prisma/config\";\n\nexport default defineConfig({{\n  schema: {}1{}\n}});\n",
        "{a:".repeat(20_000),
        "}".repeat(20_000)
    );
    let cfg = parse(&deep);
    assert_eq!(cfg.schema, None);
    assert_eq!(
        cfg.errors,
        ["4: brackets nested more than 64 levels deep; not read"]
    );
    let parens = format!("export default {}{{}}{}", "(".repeat(70), ")".repeat(70));
    assert_eq!(parse(&parens).errors.len(), 1);
    // 60 levels are fine.
    let ok = format!(
        "export default {{ schema: \"s\", x: {}1{} }}",
        "[".repeat(60),
        "]".repeat(60)
    );
    let cfg = parse(&ok);
    assert!(cfg.errors.is_empty(), "{:?}", cfg.errors);
    assert_eq!(cfg.schema.as_deref(), Some("s"));
}

#[test]
fn doubling_consts_stay_small() {
    // Found by fuzz/config_ts: each `const` naming the previous one twice doubled the copies
    // (2^40 here), and each `path.join(s, s)` doubled a string.
    let mut text = String::from("const d0 = { url: env('DB') }\nconst s0 = 'p'\n");
    for k in 1..=40 {
        let j = k - 1;
        text.push_str(&format!(
            "const d{k} = {{ url: env('DB'), x: d{j}, y: d{j} }}\n\
             const s{k} = path.join(s{j}, s{j})\n"
        ));
    }
    text.push_str("export default defineConfig({ schema: s40, datasource: d40 })\n");
    let cfg = parse(&text);
    assert_eq!(cfg.url_env.as_deref(), Some("DB"));
    assert_eq!(cfg.schema, None);
    assert_eq!(cfg.unreadable, ["schema: computed at runtime"]);
    // An object that does not close inside its expression is not read past it (each of these
    // used to double the work).
    let text = format!(
        "export default defineConfig({{ {} schema: 'ok.prisma' }})",
        "datasource: {),\n".repeat(60)
    );
    assert_eq!(parse(&text).schema.as_deref(), Some("ok.prisma"));
    // Joins up to 4 KiB are read.
    let cfg = parse("const a = 'x'\nconst b = path.join(a, a, a)\nexport default { schema: b }");
    assert_eq!(cfg.schema.as_deref(), Some("x/x/x"));
}
