//! Merge tests with `prisma migrate status` semantics, on fixture folders and rows modelled on
//! seed 004 (local up to date, staging 3 behind, production blocked by a failed migration).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::model::local_migrations::checksum_variants;
use std::path::PathBuf;

const DAY: i64 = 86_400_000;
/// 2025-09-17T00:00:00Z in ms.
const SEP_17: i64 = 1_758_067_200_000;

fn sql(name: &str) -> String {
    format!("-- {name}\nCREATE TABLE \"{name}\" (\"id\" TEXT NOT NULL);\n")
}

fn sha(text: &str) -> String {
    checksum_variants(text.as_bytes()).remove(0)
}

fn local(names: &[&str]) -> MigrationsDir {
    MigrationsDir {
        path: PathBuf::from("prisma/migrations"),
        exists: true,
        migrations: names
            .iter()
            .map(|n| LocalMigration {
                name: (*n).to_owned(),
                checksums: checksum_variants(sql(n).as_bytes()),
                error: None,
            })
            .collect(),
        lock_provider: Some("postgresql".into()),
        problems: vec![],
        unreadable: None,
    }
}

fn row(name: &str, started: i64, finished: Option<i64>) -> AppliedRow {
    AppliedRow {
        id: format!("id-{name}-{started}"),
        checksum: sha(&sql(name)),
        finished_at_ms: finished,
        migration_name: name.to_owned(),
        logs: None,
        rolled_back_at_ms: None,
        started_at_ms: started,
        applied_steps_count: i64::from(finished.is_some()),
    }
}

fn ok(name: &str, at: i64) -> AppliedRow {
    row(name, at - 1_000, Some(at))
}

fn states(e: &EnvMigrations) -> Vec<(&str, MigrationState)> {
    e.items.iter().map(|i| (i.name.as_str(), i.state)).collect()
}

const SEED_004: [&str; 7] = [
    "20250801093000_init",
    "20250815141500_add_food_entries",
    "20250902110000_add_feature_flags",
    "20250917120000_add_personal_models",
    "20250929160000_rename_analytics_events",
    "20251005083000_add_metabolic_tables",
    "20251011000000_fix_personal_model_schema",
];

#[test]
fn seed_004_local_up_to_date() {
    let rows: Vec<AppliedRow> = SEED_004
        .iter()
        .enumerate()
        .map(|(i, n)| ok(n, SEP_17 - 50 * DAY + i as i64 * 4 * DAY))
        .chain([ok(SEED_004[6], SEP_17 + 24 * DAY)])
        .collect();
    let e = merge(&local(&SEED_004), Some(&rows));
    assert!(!e.table_absent);
    assert!(e.summary.is_clean());
    assert_eq!(e.summary.applied, 7);
    assert_eq!(
        e.summary.line("local"),
        "local: up to date, 7 applied, last applied 2025-10-11"
    );
    // Newest first.
    assert_eq!(e.items[0].name, SEED_004[6]);
    assert_eq!(e.items[6].name, SEED_004[0]);
    assert_eq!(e.items[0].applied_at_ms, Some(SEP_17 + 24 * DAY));
}

#[test]
fn seed_004_staging_three_behind() {
    let rows: Vec<AppliedRow> = SEED_004[..4]
        .iter()
        .enumerate()
        .map(|(i, n)| ok(n, SEP_17 - (3 - i as i64) * DAY + 3_600_000))
        .collect();
    let e = merge(&local(&SEED_004), Some(&rows));
    assert_eq!(e.summary.pending, 3);
    assert_eq!(e.summary.applied, 4);
    assert!(!e.summary.is_clean());
    assert_eq!(
        e.summary.line("staging"),
        "staging: 3 pending, last applied 2025-09-17"
    );
    assert_eq!(
        states(&e)[..4],
        [
            (SEED_004[6], MigrationState::Pending),
            (SEED_004[5], MigrationState::Pending),
            (SEED_004[4], MigrationState::Pending),
            (SEED_004[3], MigrationState::Applied),
        ]
    );
}

#[test]
fn seed_004_production_blocked_by_failed_migration() {
    let mut rows: Vec<AppliedRow> = SEED_004[..3]
        .iter()
        .enumerate()
        .map(|(i, n)| ok(n, SEP_17 - (10 - i as i64) * DAY))
        .collect();
    let mut failed = row(SEED_004[3], SEP_17 + 3_600_000, None);
    failed.logs = Some(
        "\nDatabase error code: 42P07\n\nDatabase error:\nERROR: relation \"personal_models\" already exists\n"
            .into(),
    );
    failed.applied_steps_count = 0;
    rows.push(failed);
    let e = merge(&local(&SEED_004), Some(&rows));
    let s = &e.summary;
    assert_eq!((s.applied, s.failed, s.pending), (3, 1, 3));
    assert_eq!(s.blocked_by.as_deref(), Some(SEED_004[3]));
    assert!(!s.is_clean());
    assert_eq!(
        s.line("production"),
        "production: blocked by failed 20250917120000_add_personal_models, 3 pending"
    );
    let item = e.items.iter().find(|i| i.name == SEED_004[3]).unwrap();
    assert_eq!(item.state, MigrationState::Failed);
    assert_eq!(item.applied_at_ms, None);
    assert_eq!(
        item.detail.as_deref(),
        Some("ERROR: relation \"personal_models\" already exists (code 42P07)")
    );
    assert_eq!(s.last_applied_ms, Some(SEP_17 - 8 * DAY));
}

#[test]
fn blocked_line_without_pending() {
    let rows = [row("20250917_add_personal_models", SEP_17, None)];
    let e = merge(&local(&["20250917_add_personal_models"]), Some(&rows));
    assert_eq!(
        e.summary.line("production"),
        "production: blocked by failed 20250917_add_personal_models"
    );
    let item = &e.items[0];
    assert_eq!(
        item.detail.as_deref(),
        Some("started 2025-09-17, never finished")
    );
}

#[test]
fn several_failures_block_at_the_oldest() {
    let rows = [row("b", SEP_17, None), row("a", SEP_17 - DAY, None)];
    let e = merge(&local(&["a", "b"]), Some(&rows));
    assert_eq!(e.summary.blocked_by.as_deref(), Some("a"));
    assert_eq!(
        e.summary.line("x"),
        "x: blocked by failed a (+1 more failed)"
    );
}

#[test]
fn table_absent_means_everything_pending() {
    let e = merge(&local(&SEED_004[..2]), None);
    assert!(e.table_absent && e.summary.table_absent);
    assert_eq!(e.summary.pending, 2);
    assert!(e.items.iter().all(|i| i.state == MigrationState::Pending));
    assert_eq!(
        e.summary.line("dev"),
        "dev: no migrations applied yet (no _prisma_migrations table), 2 pending"
    );
    let e = merge(&local(&[]), None);
    assert_eq!(
        e.summary.line("dev"),
        "dev: no migrations applied yet (no _prisma_migrations table)"
    );
    assert!(e.summary.is_clean());
}

#[test]
fn empty_table_and_empty_folder() {
    let e = merge(&local(&["a"]), Some(&[]));
    assert!(!e.table_absent);
    assert_eq!(e.summary.line("dev"), "dev: 1 pending, nothing applied yet");
    let e = merge(&local(&[]), Some(&[]));
    assert_eq!(e.summary.line("dev"), "dev: up to date, no migrations");
    assert!(e.items.is_empty());
}

#[test]
fn failed_then_resolved_is_applied() {
    // Attempt 1 failed and was marked rolled back; attempt 2 succeeded.
    let mut first = row("m1", SEP_17, None);
    first.rolled_back_at_ms = Some(SEP_17 + 60_000);
    first.logs = Some("ERROR: deadlock detected".into());
    let second = ok("m1", SEP_17 + 120_000);
    for rows in [vec![first.clone(), second.clone()], vec![second, first]] {
        let e = merge(&local(&["m1"]), Some(&rows));
        assert_eq!(states(&e), [("m1", MigrationState::Applied)]);
        assert_eq!(e.items[0].applied_at_ms, Some(SEP_17 + 120_000));
        assert!(e.summary.is_clean());
    }
}

#[test]
fn any_unfinished_live_attempt_fails() {
    // Succeeded, then re-run by hand and failed (no rollback mark): failed.
    let rows = [ok("m1", SEP_17), row("m1", SEP_17 + DAY, None)];
    let e = merge(&local(&["m1"]), Some(&rows));
    assert_eq!(e.items[0].state, MigrationState::Failed);
    // The other way round: a failed attempt (never marked rolled back) followed by a successful
    // one still blocks deploy, as Prisma's P3009 check looks for any unfinished, not rolled-back
    // row; `migrate resolve --rolled-back` on it is what clears it.
    let rows = [row("m1", SEP_17, None), ok("m1", SEP_17 + DAY)];
    let e = merge(&local(&["m1"]), Some(&rows));
    assert_eq!(e.items[0].state, MigrationState::Failed);
}

#[test]
fn all_attempts_rolled_back() {
    let mut r = row("m1", SEP_17, None);
    r.rolled_back_at_ms = Some(SEP_17 + DAY);
    let e = merge(&local(&["m1"]), Some(std::slice::from_ref(&r)));
    assert_eq!(e.items[0].state, MigrationState::RolledBack);
    assert_eq!(
        e.items[0].detail.as_deref(),
        Some("rolled back 2025-09-18; migrate deploy will apply it again")
    );
    assert_eq!(e.summary.rolled_back, 1);
    assert!(!e.summary.is_clean());
    assert_eq!(
        e.summary.line("staging"),
        "staging: 1 rolled back, nothing applied yet"
    );
    // `migrate deploy` applies it again, with the pending ones, oldest first.
    let e2 = merge(
        &local(&["m0", "m1", "m2"]),
        Some(&[ok("m0", SEP_17), r.clone()]),
    );
    assert_eq!(e2.to_deploy(), ["m1", "m2"]);
    // Folder deleted afterwards: harmless history.
    let e = merge(&local(&[]), Some(&[r]));
    assert_eq!(e.items[0].state, MigrationState::MissingLocally);
    assert!(e.summary.is_clean());
}

#[test]
fn edited_after_apply() {
    let mut r = ok("m1", SEP_17);
    r.checksum = sha("-- the original\n");
    let e = merge(&local(&["m1"]), Some(&[r]));
    let item = &e.items[0];
    assert_eq!(item.state, MigrationState::Edited);
    assert_eq!(item.applied_at_ms, Some(SEP_17));
    assert!(item.detail.as_deref().unwrap().contains("checksum differs"));
    assert_eq!(e.summary.edited, 1);
    assert!(!e.summary.is_clean());
    assert_eq!(
        e.summary.line("local"),
        "local: 1 edited, last applied 2025-09-17"
    );
}

#[test]
fn crlf_checkout_is_not_edited() {
    let lf = "-- AddColumn\nALTER TABLE \"cameras\" ADD COLUMN \"uuid\" TEXT;\n";
    let crlf = lf.replace('\n', "\r\n");
    let dir = |text: &str| MigrationsDir {
        migrations: vec![LocalMigration {
            name: "m1".into(),
            checksums: checksum_variants(text.as_bytes()),
            error: None,
        }],
        ..local(&[])
    };
    // Applied on Linux, checked out on Windows, and vice versa.
    for (applied, checkout) in [(lf, crlf.as_str()), (crlf.as_str(), lf)] {
        let mut r = ok("m1", SEP_17);
        r.checksum = sha(applied);
        let e = merge(&dir(checkout), Some(&[r]));
        assert_eq!(e.items[0].state, MigrationState::Applied);
    }
}

#[test]
fn checksum_case_and_legacy_unpadded_format() {
    let mut r = ok("m1", SEP_17);
    r.checksum = r.checksum.to_ascii_uppercase();
    assert_eq!(
        merge(&local(&["m1"]), Some(&[r])).items[0].state,
        MigrationState::Applied
    );

    // Find a name whose checksum has a byte below 0x10, so unpadding shortens it.
    let name = (0..100)
        .map(|i| format!("m{i}"))
        .find(|n| sha(&sql(n)).as_bytes().chunks(2).any(|p| p[0] == b'0'))
        .unwrap();
    let mut r = ok(&name, SEP_17);
    r.checksum = unpadded(&r.checksum).unwrap();
    assert!(r.checksum.len() < 64);
    let e = merge(&local(&[&name]), Some(&[r.clone()]));
    assert_eq!(e.items[0].state, MigrationState::Applied);
    r.checksum.pop();
    let e = merge(&local(&[&name]), Some(&[r]));
    assert_eq!(e.items[0].state, MigrationState::Edited);
}

#[test]
fn empty_stored_checksum_is_edited() {
    let mut r = ok("m1", SEP_17);
    r.checksum.clear();
    assert_eq!(
        merge(&local(&["m1"]), Some(&[r])).items[0].state,
        MigrationState::Edited
    );
}

#[test]
fn missing_locally() {
    let rows = [
        ok("20250101000000_init", SEP_17),
        ok("20250201000000_other_branch", SEP_17 + DAY),
    ];
    let e = merge(&local(&["20250101000000_init"]), Some(&rows));
    assert_eq!(
        states(&e),
        [
            (
                "20250201000000_other_branch",
                MigrationState::MissingLocally
            ),
            ("20250101000000_init", MigrationState::Applied),
        ]
    );
    assert_eq!(e.items[0].applied_at_ms, Some(SEP_17 + DAY));
    assert!(e.summary.is_clean());
    assert_eq!(e.summary.last_applied_ms, Some(SEP_17 + DAY));
    assert_eq!(
        e.summary.line("local"),
        "local: up to date, 1 applied, 1 missing locally, last applied 2025-09-18"
    );
}

#[test]
fn failed_without_local_folder_stays_failed() {
    let e = merge(&local(&[]), Some(&[row("gone", SEP_17, None)]));
    assert_eq!(e.items[0].state, MigrationState::Failed);
    assert_eq!(
        e.items[0].detail.as_deref(),
        Some("started 2025-09-17, never finished; no local folder")
    );
    assert_eq!(e.summary.blocked_by.as_deref(), Some("gone"));
}

#[test]
fn local_errors() {
    let mut dir = local(&["m1", "m2"]);
    for m in &mut dir.migrations {
        m.checksums.clear();
        m.error = Some("missing migration.sql".into());
    }
    let e = merge(&dir, Some(&[ok("m1", SEP_17)]));
    assert_eq!(
        states(&e),
        [
            ("m2", MigrationState::Pending),
            ("m1", MigrationState::Unreadable)
        ]
    );
    assert_eq!(e.summary.unreadable, 1);
    assert_eq!(e.summary.edited, 0);
    assert!(!e.summary.is_clean());
    assert_eq!(
        e.summary.line("local"),
        "local: 1 pending, 1 unreadable, last applied 2025-09-17"
    );
    assert_eq!(e.items[0].detail.as_deref(), Some("missing migration.sql"));
    assert_eq!(
        e.items[1].detail.as_deref(),
        Some("cannot verify the checksum: missing migration.sql")
    );
}

#[test]
fn failure_reasons() {
    assert_eq!(
        failure_reason(
            "Database error code: 1050\n\nDatabase error:\nTable 'personal_models' already exists\n\n\
             Please check the query number 1 from the migration file.\n"
        )
        .as_deref(),
        Some("Table 'personal_models' already exists (code 1050)")
    );
    assert_eq!(
        failure_reason("Database error:\nERROR: deadlock detected").as_deref(),
        Some("ERROR: deadlock detected")
    );
    assert_eq!(
        failure_reason("\n  Migration timed out\nmore").as_deref(),
        Some("Migration timed out")
    );
    assert_eq!(failure_reason(" \n\n"), None);
    assert_eq!(
        failure_reason("Database error:").as_deref(),
        Some("Database error:")
    );
}

#[test]
fn long_failure_logs_are_truncated() {
    let mut r = row("m1", SEP_17, None);
    r.logs = Some("x".repeat(500));
    let e = merge(&local(&["m1"]), Some(&[r]));
    assert_eq!(e.items[0].detail.as_ref().unwrap().chars().count(), 201);
}

#[test]
fn glyphs_labels_and_serde() {
    use MigrationState::*;
    let all = [
        Applied,
        Pending,
        Failed,
        RolledBack,
        Edited,
        Unreadable,
        MissingLocally,
    ];
    let glyphs: Vec<&str> = all.iter().map(|s| s.glyph()).collect();
    assert_eq!(glyphs, ["✓", "·", "✗", "↺", "✎", "!", "?"]);
    let labels: Vec<&str> = all.iter().map(|s| s.label()).collect();
    assert_eq!(
        labels,
        [
            "applied",
            "pending",
            "failed",
            "rolled back",
            "edited",
            "unreadable",
            "missing locally"
        ]
    );
    assert_eq!(
        serde_json::to_string(&RolledBack).unwrap(),
        "\"rolled-back\""
    );
    assert_eq!(
        serde_json::to_string(&MissingLocally).unwrap(),
        "\"missing-locally\""
    );
    let back: MigrationState = serde_json::from_str("\"missing-locally\"").unwrap();
    assert_eq!(back, MissingLocally);
}

#[test]
fn dates_in_utc() {
    assert_eq!(date_utc(0), "1970-01-01");
    assert_eq!(date_utc(SEP_17), "2025-09-17");
    assert_eq!(date_utc(SEP_17 - 1), "2025-09-16");
    assert_eq!(date_utc(-1), "1969-12-31");
    assert_eq!(date_utc(951_782_400_000), "2000-02-29");
    assert_eq!(date_utc(951_868_800_000), "2000-03-01");
    assert_eq!(date_utc(1_709_164_800_000), "2024-02-29");
    assert_eq!(date_utc(4_102_444_800_000), "2100-01-01");
    assert_eq!(date_utc(-62_135_596_800_000), "0001-01-01");
    // Never panics, even at the extremes.
    let _ = date_utc(i64::MIN);
    let _ = date_utc(i64::MAX);
}
