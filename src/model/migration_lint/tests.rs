#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;

fn m<'a>(name: &'a str, sql: &'a str) -> MigrationSql<'a> {
    MigrationSql {
        name,
        file: name,
        sql,
    }
}

fn run(history: &[&str], pending: &[&str]) -> Vec<Finding> {
    let h: Vec<_> = history.iter().map(|s| m("h", s)).collect();
    let p: Vec<_> = pending.iter().map(|s| m("p", s)).collect();
    lint(&h, &p, &LintOptions::default())
}

fn codes(f: &[Finding]) -> Vec<(&'static str, u32)> {
    f.iter().map(|f| (f.code, f.line)).collect()
}

/// PostgreSQL: the init migration as `prisma migrate dev` writes it.
const PG_INIT: &str = r#"-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" VARCHAR(255),
    "views" BIGINT NOT NULL DEFAULT 0,
    "role" "Role" NOT NULL DEFAULT 'USER',

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cameras" (
    "id" SERIAL NOT NULL,
    "label" TEXT,
    CONSTRAINT "cameras_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
"#;

#[test]
fn lexer_lines_comments_quotes() {
    let s = lexer::statements(
        "/*\n  Warnings:\n  - DROP TABLE x;\n*/\n-- DropTable\nDROP TABLE \"a;b\";\n\nSELECT 'it''s; fine', $$ ; $$;\nALTER TABLE `t`\n  DROP COLUMN `c`",
    );
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].line, 6);
    assert_eq!(s[0].tokens[2], lexer::Token::Quoted("a;b".into()));
    assert_eq!(s[1].line, 8);
    assert_eq!(s[2].line, 9);
    // Unterminated input never panics.
    for bad in [
        "'abc",
        "\"abc",
        "/* abc",
        "$tag$ abc",
        "[x",
        "--",
        "$",
        "$1",
    ] {
        let _ = lexer::statements(bad);
    }
}

#[test]
fn seed_003_not_null_column_on_existing_table() {
    // Prisma's own migration for `uuid String` added to an existing model (seed 003).
    let sql = r#"/*
  Warnings:

  - Added the required column `uuid` to the `cameras` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "cameras" ADD COLUMN     "uuid" TEXT NOT NULL;
"#;
    let f = run(&[PG_INIT], &[sql]);
    assert_eq!(codes(&f), vec![("not-null-column", 8)]);
    assert!(f[0].message.contains("cameras.uuid"));
    assert!(f[0].message.contains("column contains null values"));
    assert_eq!(f[0].analyzer, Analyzer::DataDependent);
    // With a default, or nullable: nothing.
    assert!(run(&[PG_INIT], &["ALTER TABLE \"cameras\" ADD COLUMN \"uuid\" TEXT NOT NULL DEFAULT gen_random_uuid();"]).is_empty());
    assert!(
        run(
            &[PG_INIT],
            &["ALTER TABLE \"cameras\" ADD COLUMN \"uuid\" TEXT;"]
        )
        .is_empty()
    );
    // On a table created earlier in the pending run: nothing (it is empty).
    let f = run(
        &[],
        &[
            "CREATE TABLE \"t\" (\"id\" INTEGER NOT NULL);",
            "ALTER TABLE \"t\" ADD COLUMN \"x\" TEXT NOT NULL;",
        ],
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn destructive_postgres() {
    let sql = r#"/*
  Warnings:

  - You are about to drop the column `name` on the `User` table. All the data in the column will be lost.
  - You are about to drop the `cameras` table. If the table is not empty, all the data it contains will be lost.

*/
-- DropForeignKey
ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";

-- DropIndex
DROP INDEX "User_email_key";

-- AlterTable
ALTER TABLE "User" DROP COLUMN "name",
ADD COLUMN     "fullName" TEXT;

-- DropTable
DROP TABLE "cameras";

TRUNCATE TABLE "Post", "Comment" CASCADE;
DELETE FROM "Log";
DELETE FROM "Log" WHERE "at" < now();
"#;
    let f = run(&[PG_INIT], &[sql]);
    assert_eq!(
        codes(&f),
        vec![
            ("drop-unique-index", 12),
            ("drop-column", 15),
            ("drop-table", 19),
            ("truncate", 21),
            ("truncate", 21),
            ("delete-all", 22),
            ("many-tables", 9),
        ],
        "{f:#?}"
    );
    assert_eq!(
        f[1].message,
        "DROP COLUMN User.name: the column's data is lost"
    );
    // A non-unique index is no loss.
    assert!(run(&[], &["DROP INDEX \"Post_authorId_idx\";"]).is_empty());
}

#[test]
fn destructive_mysql() {
    let sql = "-- DropIndex\nDROP INDEX `User_email_key` ON `User`;\n\n-- AlterTable\nALTER TABLE `User` DROP COLUMN `name`;\n\n-- DropTable\nDROP TABLE `Profile`;\n";
    let f = run(&[], &[sql]);
    assert_eq!(
        codes(&f),
        vec![
            ("drop-unique-index", 2),
            ("drop-column", 5),
            ("drop-table", 8)
        ]
    );
}

#[test]
fn unique_index_on_existing_table() {
    let sql = "/*\n  Warnings:\n\n  - A unique constraint covering the columns `[label]` on the table `cameras` will be added. If there are existing duplicate values, this will fail.\n\n*/\n-- CreateIndex\nCREATE UNIQUE INDEX \"cameras_label_key\" ON \"cameras\"(\"label\");\n";
    let f = run(&[PG_INIT], &[sql]);
    assert_eq!(codes(&f), vec![("unique-index", 8)]);
    // New table: fine. Non-unique: fine.
    let f = run(
        &[],
        &[
            "CREATE TABLE `t` (`id` INTEGER NOT NULL, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\nCREATE UNIQUE INDEX `t_x_key` ON `t`(`x`);",
            "CREATE INDEX \"cameras_label_idx\" ON \"cameras\"(\"label\");",
        ],
    );
    assert!(f.is_empty(), "{f:?}");
    let f = run(
        &[],
        &["ALTER TABLE `a` ADD CONSTRAINT `a_x_key` UNIQUE (`x`);"],
    );
    assert_eq!(codes(&f), vec![("unique-index", 1)]);
}

#[test]
fn narrowing_with_and_without_history() {
    let f = run(
        &[PG_INIT],
        &[r#"-- AlterTable
ALTER TABLE "User" ALTER COLUMN "email" SET DATA TYPE VARCHAR(100),
ALTER COLUMN "views" SET DATA TYPE INTEGER,
ALTER COLUMN "name" SET DATA TYPE TEXT;
"#],
    );
    assert_eq!(
        codes(&f),
        vec![("type-narrowing", 2), ("type-narrowing", 2)]
    );
    assert!(
        f[0].message.contains("TEXT → VARCHAR(100)"),
        "{}",
        f[0].message
    );
    assert!(f[1].message.contains("BIGINT → INTEGER"));
    // Unknown previous type: a bounded new type is reported as possibly narrowing.
    let f = run(&[], &["ALTER TABLE `User` MODIFY `bio` VARCHAR(191) NULL;"]);
    assert_eq!(codes(&f), vec![("type-narrowing", 1)]);
    assert!(f[0].message.contains("not in the migrations folder"));
    assert!(run(&[], &["ALTER TABLE `User` MODIFY `bio` TEXT NULL;"]).is_empty());
    // Widening: nothing.
    assert!(
        run(
            &[PG_INIT],
            &["ALTER TABLE \"User\" ALTER COLUMN \"name\" TYPE VARCHAR(500);"]
        )
        .is_empty()
    );
    assert!(types::narrowing("DECIMAL(10,2)", "DECIMAL(8,2)").is_some());
    assert!(types::narrowing("INTEGER", "BIGINT").is_none());
    assert!(types::narrowing("TEXT", "INTEGER").is_some());
    assert!(types::narrowing("INTEGER", "TEXT").is_none());
}

#[test]
fn set_not_null() {
    let f = run(
        &[PG_INIT],
        &["ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;"],
    );
    assert_eq!(codes(&f), vec![("set-not-null", 1)]);
    let mysql_hist = "CREATE TABLE `User` (`id` INTEGER NOT NULL AUTO_INCREMENT, `bio` VARCHAR(191) NULL, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;";
    let f = run(
        &[mysql_hist],
        &["ALTER TABLE `User` MODIFY `bio` VARCHAR(191) NOT NULL;"],
    );
    assert_eq!(codes(&f), vec![("set-not-null", 1)]);
}

#[test]
fn primary_key_changes() {
    let pg = "-- AlterTable\nALTER TABLE \"User\" DROP CONSTRAINT \"User_pkey\",\nADD COLUMN     \"uuid\" TEXT NOT NULL DEFAULT gen_random_uuid(),\nADD CONSTRAINT \"User_pkey\" PRIMARY KEY (\"uuid\");\n";
    let f = run(&[PG_INIT], &[pg]);
    assert_eq!(codes(&f), vec![("primary-key", 2)]);
    assert_eq!(
        f[0].message,
        "primary key of User changes to (uuid) (was id)"
    );
    let my = "ALTER TABLE `User` DROP PRIMARY KEY,\n    ADD PRIMARY KEY (`uuid`);";
    assert_eq!(codes(&run(&[], &[my])), vec![("primary-key", 1)]);
}

/// SQLite: Prisma's RedefineTables for making `name` required and adding `uuid`.
const SQLITE_INIT: &str = r#"-- CreateTable
CREATE TABLE "User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "legacy" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
"#;

#[test]
fn sqlite_redefine_is_not_a_drop() {
    let sql = r#"/*
  Warnings:

  - Made the column `name` on table `User` required. This step will fail if there are existing NULL values in that column.

*/
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "legacy" TEXT
);
INSERT INTO "new_User" ("email", "id", "legacy", "name") SELECT "email", "id", "legacy", "name" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
"#;
    let f = run(&[SQLITE_INIT], &[sql]);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn sqlite_redefine_drops_and_required_column() {
    let sql = r#"-- RedefineTables
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" VARCHAR(50) NOT NULL,
    "uuid" TEXT NOT NULL
);
INSERT INTO "new_User" ("email", "id") SELECT "email", "id" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
PRAGMA foreign_key_check;
PRAGMA foreign_keys=ON;
"#;
    let f = run(&[SQLITE_INIT], &[sql]);
    let c: Vec<_> = f.iter().map(|f| f.code).collect();
    assert_eq!(
        c,
        vec![
            "drop-column",
            "drop-column",
            "type-narrowing",
            "redefine-not-null"
        ],
        "{f:#?}"
    );
    assert!(f.iter().all(|f| f.line == 9), "{f:#?}");
    assert!(f[3].message.contains("User.uuid"));
    // The redefinition counts as one table changed, not a dropped one.
    assert!(!c.contains(&"drop-table"));
    // Without a copy the rows are lost.
    let nocopy = "CREATE TABLE \"new_User\" (\"id\" INTEGER NOT NULL PRIMARY KEY);\nDROP TABLE \"User\";\nALTER TABLE \"new_User\" RENAME TO \"User\";";
    assert_eq!(
        codes(&run(&[SQLITE_INIT], &[nocopy])),
        vec![("drop-table", 2)]
    );
}

#[test]
fn many_tables_threshold() {
    let sql = "ALTER TABLE \"a\" ADD COLUMN \"x\" TEXT;\nALTER TABLE \"b\" ADD COLUMN \"x\" TEXT;\nCREATE INDEX \"c_x\" ON \"c\"(\"x\");\nALTER TABLE \"d\" ADD COLUMN \"x\" TEXT;\nCREATE TABLE \"e\" (\"id\" INT);\nALTER TABLE \"e\" ADD COLUMN \"y\" TEXT;";
    let f = run(&[], &[sql]);
    assert_eq!(codes(&f), vec![("many-tables", 1)]);
    assert!(f[0].message.contains("4 existing tables"));
    assert!(f[0].message.ends_with("a, b, c, d"), "{}", f[0].message);
    let one = LintOptions { max_tables: 4 };
    assert!(lint(&[], &[m("p", sql)], &one).is_empty());
    let strict = LintOptions { max_tables: 1 };
    let two = "ALTER TABLE a ADD COLUMN x TEXT; ALTER TABLE b ADD COLUMN x TEXT;";
    assert_eq!(lint(&[], &[m("p", two)], &strict).len(), 1);
}

#[test]
fn finding_names_file_and_line() {
    let p = MigrationSql {
        name: "20260210_add_uuid",
        file: "prisma/migrations/20260210_add_uuid/migration.sql",
        sql: "\n\nDROP TABLE \"x\";",
    };
    let f = lint(&[], &[p], &LintOptions::default());
    assert_eq!(
        f[0].to_string(),
        "prisma/migrations/20260210_add_uuid/migration.sql:3: destructive: DROP TABLE x: every row of the table is lost"
    );
    assert_eq!(f[0].migration, "20260210_add_uuid");
}

#[test]
fn quoted_and_qualified_names() {
    let f = run(
        &[],
        &["ALTER TABLE \"public\".\"User Table\" DROP COLUMN \"we\"\"ird\";"],
    );
    assert_eq!(
        f[0].message,
        "DROP COLUMN User Table.we\"ird: the column's data is lost"
    );
    // Keywords in lower case, several lines.
    let f = run(&[], &["alter table\n  users\n  drop\n  column\n  age;"]);
    assert_eq!(codes(&f), vec![("drop-column", 1)]);
    // Not a statement the lint knows: nothing.
    assert!(run(&[], &["CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DROP TABLE x; END $$ LANGUAGE plpgsql;", "UPDATE \"User\" SET \"name\" = 'x';"]).is_empty());
}

/// A deterministic stand-in for the fuzz target (fuzz/fuzz_targets/migration_lint.rs): mangled
/// fixtures never panic, and every finding's line is within its script.
#[test]
fn mangled_inputs_never_panic() {
    let seeds = [
        PG_INIT,
        SQLITE_INIT,
        "ALTER TABLE `a` MODIFY `b` VARCHAR(10) NOT NULL;",
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet: Vec<char> = "();,.'\"`[]$-/*\n ABCDEFGHIJKLMNOPRSTUVWXYZ_0123456789ée"
        .chars()
        .collect();
    for _ in 0..400 {
        let seed = seeds[(next() % seeds.len() as u64) as usize];
        let mut chars: Vec<char> = seed.chars().collect();
        for _ in 0..(next() % 12) {
            let at = (next() as usize) % (chars.len() + 1);
            match next() % 3 {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => chars.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                _ => chars.truncate(at),
            }
        }
        let text: String = chars.into_iter().collect();
        let lines = text.split('\n').count() as u32;
        let f = lint(
            &[m("h", seed)],
            &[m("p", &text), m("q", seed)],
            &LintOptions { max_tables: 1 },
        );
        for finding in f.iter().filter(|f| f.migration == "p") {
            assert!(
                finding.line >= 1 && finding.line <= lines,
                "{finding} in {text:?}"
            );
        }
    }
}

/// Found by the `migration_lint` fuzz target: an `INSERT INTO t (` whose column list never
/// closes (the `(` is the statement's last token) sliced past its end.
#[test]
fn unclosed_insert_column_list_is_no_panic() {
    for sql in [
        "INSERT INTO \"new_User\" (",
        "INSERT INTO \"new_User\" (\"id\", ",
        "INSERT INTO \"new_User\" (;",
    ] {
        let _ = run(&[PG_INIT], &[sql]);
    }
    let crash =
        "CREATE TABLE \"new_User\" (\"id\" TEXT NOT NULL PRIMARY KEY);\nINSERT INTO \"new_User\" (";
    let _ = run(&[], &[crash]);
}
