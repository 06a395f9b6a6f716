//! Project layout tests on temp projects: default, custom variable, prisma.config.ts (static
//! and computed), package.json, overrides, multi-file schema folders, and broken files.
#![allow(clippy::unwrap_used)]

use super::*;
use std::fs;

const PG_SCHEMA: &str = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n\
model Camera {\n  id String @id\n  @@map(\"cameras\")\n}\n";

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = tmp.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    tmp
}

#[test]
fn default_layout() {
    let tmp = project(&[("prisma/schema.prisma", PG_SCHEMA)]);
    let root = tmp.path();
    let p = locate(root, None, None);
    assert_eq!(p.schema_path, root.join("prisma/schema.prisma"));
    assert_eq!(p.migrations_dir, root.join("prisma/migrations"));
    assert_eq!(p.url_env, "DATABASE_URL");
    assert_eq!(p.provider.as_deref(), Some("postgresql"));
    assert_eq!(p.schema.unwrap().models[0].table, "cameras");
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn url_variable_from_schema() {
    let tmp = project(&[(
        "prisma/schema.prisma",
        "datasource db {\n provider = \"mysql\"\n url = env(\"POSTGRES_PRISMA_URL\")\n}\n",
    )]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.url_env, "POSTGRES_PRISMA_URL");
    assert_eq!(p.provider.as_deref(), Some("mysql"));
}

#[test]
fn prisma_config_ts_static() {
    let tmp = project(&[
        (
            "prisma.config.ts",
            "import { defineConfig, env } from 'prisma/config'\n\
             export default defineConfig({\n  schema: 'db/schema.prisma',\n  \
             migrations: { path: 'db/sql' },\n  datasource: { url: env('DIRECT_URL') },\n})\n",
        ),
        (
            "db/schema.prisma",
            "generator client {\n provider = \"prisma-client\"\n}\n\
             datasource db {\n provider = \"postgresql\"\n}\n",
        ),
        // A stale default that must not be picked.
        ("prisma/schema.prisma", "model Old {\n id Int @id\n}\n"),
        (
            "package.json",
            r#"{"prisma": {"schema": "elsewhere.prisma"}}"#,
        ),
    ]);
    let root = tmp.path();
    let p = locate(root, None, None);
    assert_eq!(p.schema_path, root.join("db/schema.prisma"));
    assert_eq!(p.migrations_dir, root.join("db/sql"));
    assert_eq!(p.url_env, "DIRECT_URL");
    assert_eq!(p.provider.as_deref(), Some("postgresql"));
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn config_fixture_file() {
    let fixture = include_str!("../../../tests/fixtures/prisma/prisma.config.ts");
    let tmp = project(&[
        ("prisma.config.ts", fixture),
        ("prisma/schema.prisma", PG_SCHEMA),
    ]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.schema_path, tmp.path().join("prisma/schema.prisma"));
    assert_eq!(p.migrations_dir, tmp.path().join("prisma/migrations"));
    assert_eq!(p.url_env, "DATABASE_URL");
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn config_without_schema_key_uses_default_and_config_url() {
    let tmp = project(&[
        (
            "prisma.config.mjs",
            "export default { datasource: { url: process.env.APP_DB } }",
        ),
        ("prisma/schema.prisma", PG_SCHEMA),
    ]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.schema_path, tmp.path().join("prisma/schema.prisma"));
    assert_eq!(p.url_env, "APP_DB");
}

#[test]
fn computed_config_falls_back_with_a_note() {
    let tmp = project(&[
        (
            "prisma.config.ts",
            "export default defineConfig({ schema: resolveSchema(), datasource: { url: getUrl() } })",
        ),
        ("prisma/schema.prisma", PG_SCHEMA),
    ]);
    let root = tmp.path();
    let p = locate(root, None, None);
    assert_eq!(p.schema_path, root.join("prisma/schema.prisma"));
    assert_eq!(p.migrations_dir, root.join("prisma/migrations"));
    assert_eq!(p.url_env, "DATABASE_URL");
    assert_eq!(
        p.notes,
        [
            "prisma.config.ts: schema: computed at runtime; datasource.url: computed at runtime; \
          devtop does not run it, so the defaults are used there"
        ]
    );
}

#[test]
fn unrecognised_config_object_is_noted() {
    let tmp = project(&[("prisma.config.ts", "export default makeConfig()")]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.schema_path, tmp.path().join("prisma/schema.prisma"));
    assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
    assert!(p.notes[0].starts_with("prisma.config.ts: config: no static config object found"));
    assert_eq!(p.notes[1], "schema not found: prisma/schema.prisma");
}

#[test]
fn dot_config_folder_paths_are_relative_to_it() {
    let tmp = project(&[
        (
            ".config/prisma.ts",
            "export default { schema: '../db/schema.prisma' }",
        ),
        ("db/schema.prisma", PG_SCHEMA),
    ]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(
        p.schema_path,
        tmp.path().join(".config/../db/schema.prisma")
    );
    assert!(p.schema.is_some());
    assert_eq!(
        p.migrations_dir,
        tmp.path().join(".config/../db/migrations")
    );
}

#[test]
fn package_json_schema() {
    let tmp = project(&[
        (
            "package.json",
            r#"{"name": "api", "prisma": {"schema": "src/db/schema.prisma", "seed": "tsx seed.ts"}}"#,
        ),
        ("src/db/schema.prisma", PG_SCHEMA),
    ]);
    let root = tmp.path();
    let p = locate(root, None, None);
    assert_eq!(p.schema_path, root.join("src/db/schema.prisma"));
    assert_eq!(p.migrations_dir, root.join("src/db/migrations"));
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn bad_package_json_is_noted() {
    let tmp = project(&[
        ("package.json", "{\n  \"prisma\": {\n    \"schema\": \n}"),
        ("prisma/schema.prisma", PG_SCHEMA),
    ]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.schema_path, tmp.path().join("prisma/schema.prisma"));
    assert_eq!(p.notes.len(), 1);
    assert!(
        p.notes[0].starts_with("package.json:4: invalid JSON"),
        "{:?}",
        p.notes
    );
    let tmp = project(&[("package.json", r#"{"prisma": {"schema": 3}}"#)]);
    let p = locate(tmp.path(), None, None);
    assert!(p.notes[0].contains("not a string"));
}

#[test]
fn overrides_win_over_everything() {
    let tmp = project(&[
        (
            "prisma.config.ts",
            "export default { schema: 'cfg.prisma', migrations: { path: 'cfg' } }",
        ),
        ("backend/schema.prisma", PG_SCHEMA),
    ]);
    let root = tmp.path();
    let p = locate(
        root,
        Some(Path::new("backend/schema.prisma")),
        Some(Path::new("backend/migrations-sql")),
    );
    assert_eq!(p.schema_path, root.join("backend/schema.prisma"));
    assert_eq!(p.migrations_dir, root.join("backend/migrations-sql"));
    // Only the schema overridden: migrations from the config file.
    let p = locate(root, Some(Path::new("backend/schema.prisma")), None);
    assert_eq!(p.migrations_dir, root.join("cfg"));
}

#[test]
fn schema_override_puts_default_migrations_next_to_it() {
    let tmp = project(&[("backend/schema.prisma", PG_SCHEMA)]);
    let p = locate(tmp.path(), Some(Path::new("backend/schema.prisma")), None);
    assert_eq!(p.migrations_dir, tmp.path().join("backend/migrations"));
}

#[test]
fn missing_schema() {
    let tmp = project(&[]);
    let root = tmp.path();
    let p = locate(root, None, None);
    assert_eq!(p.schema_path, root.join("prisma/schema.prisma"));
    assert_eq!(p.migrations_dir, root.join("prisma/migrations"));
    assert_eq!(p.url_env, "DATABASE_URL");
    assert_eq!((p.schema, p.provider), (None, None));
    assert_eq!(p.notes, ["schema not found: prisma/schema.prisma"]);
}

#[test]
fn root_schema_prisma_fallback() {
    let tmp = project(&[("schema.prisma", PG_SCHEMA)]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.schema_path, tmp.path().join("schema.prisma"));
    assert_eq!(p.migrations_dir, tmp.path().join("migrations"));
}

#[test]
fn schema_parse_error_is_noted_with_file_and_line() {
    let tmp = project(&[(
        "prisma/schema.prisma",
        "datasource db {\n provider = \"postgresql\"\n url = env(\"PG\")\n}\n\nmodel A {\n id Int @id\n",
    )]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.schema, None);
    assert_eq!(p.url_env, "DATABASE_URL");
    assert_eq!(
        p.notes,
        ["prisma/schema.prisma:6: `model A` (line 6) is never closed: missing `}`"]
    );
}

#[test]
fn literal_url_is_noted_without_its_value() {
    let tmp = project(&[(
        "prisma/schema.prisma",
        "datasource db {\n provider = \"postgresql\"\n url = \"postgresql://u:s3cret@db/app\"\n}\n",
    )]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.url_env, "DATABASE_URL");
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].contains("literal"), "{:?}", p.notes);
    assert!(!format!("{p:?}").contains("s3cret"));
}

#[test]
fn multi_file_schema_folder() {
    let tmp = project(&[
        (
            "prisma/schema/schema.prisma",
            "datasource db {\n provider = \"postgresql\"\n url = env(\"DB_URL\")\n}\n",
        ),
        (
            "prisma/schema/models/camera.prisma",
            "model Camera {\n id String @id\n ccu Ccu?\n}\n",
        ),
        (
            "prisma/schema/models/ccu.prisma",
            "model Ccu {\n id String @id\n}\n",
        ),
        ("prisma/schema/broken.prisma", "model Broken {\n"),
        (
            "prisma/schema/migrations/x.prisma",
            "model NotThis {\n id Int\n}\n",
        ),
    ]);
    let root = tmp.path();
    let p = locate(root, Some(Path::new("prisma/schema")), None);
    assert_eq!(p.schema_path, root.join("prisma/schema"));
    assert_eq!(p.migrations_dir, root.join("prisma/schema/migrations"));
    assert_eq!(p.url_env, "DB_URL");
    let s = p.schema.unwrap();
    let names: Vec<&str> = s.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Camera", "Ccu"]);
    // A relation to a model of another file is not a column.
    let camera = &s.models[0];
    assert_eq!(
        camera
            .columns()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["id"]
    );
    assert_eq!(
        p.notes,
        ["prisma/schema/broken.prisma:1: `model Broken` (line 1) is never closed: missing `}`"]
    );
}

#[test]
fn default_schema_folder() {
    let tmp = project(&[("prisma/schema/main.prisma", PG_SCHEMA)]);
    let p = locate(tmp.path(), None, None);
    assert_eq!(p.schema_path, tmp.path().join("prisma/schema"));
    assert_eq!(
        p.migrations_dir,
        tmp.path().join("prisma/schema/migrations")
    );
    assert_eq!(p.provider.as_deref(), Some("postgresql"));
}

#[test]
fn special_huge_and_deep_files_are_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fs::create_dir_all(root.join("prisma")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("prisma/schema.prisma")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("package.json")).unwrap();
    let p = locate(root, None, None);
    assert_eq!(
        p.errors,
        [
            "package.json: refused: a character device, not a regular file",
            "prisma/schema.prisma: refused: a character device, not a regular file",
        ]
    );
    assert!(p.schema.is_none());
    // A config nested 20,000 deep: refused with its line, the defaults are used.
    let deep = format!(
        "import {{ defineConfig }} from \"prisma/config\";\nexport default defineConfig({{\n  schema: {}1{}\n}});\n",
        "{a:".repeat(20_000),
        "}".repeat(20_000)
    );
    fs::write(root.join("prisma.config.ts"), deep).unwrap();
    let p = locate(root, None, None);
    assert_eq!(
        p.errors[0],
        "prisma.config.ts:3: brackets nested more than 64 levels deep; not read"
    );
    fs::write(root.join("prisma.config.ts"), "x".repeat(2 << 20)).unwrap();
    let p = locate(root, None, None);
    assert!(
        p.errors[0].starts_with("prisma.config.ts: refused: larger than 1 MiB"),
        "{:?}",
        p.errors
    );
}
