//! Fuzz bytes → a migrations folder on tmpfs → `prisma::migrations_dir::read`, plus
//! `checksum_variants` on each script.
//!
//! Input layout (NUL-separated, so seed files stay readable): the first part is
//! `migration_lock.toml` (absent when the input starts with NUL NUL), then pairs of a folder
//! name and its `migration.sql`; a pair without a script part makes a folder without
//! `migration.sql`. A name starting with `=` becomes a stray file instead of a folder; one
//! starting with `+` gets its script padded so that it straddles devtop's 64 KiB read chunks. Names
//! are raw bytes (not necessarily UTF-8); `/` is replaced, `.`/`..`/empty are skipped, at most
//! 16 entries are made.
//!
//! Invariants besides no panic: the folder exists; one migration per folder (dot-folders
//! ignored), sorted by name; a folder with a script has no error and exactly the checksums
//! computed here independently (as-is, CRLF → LF, LF → CRLF; distinct), one without has no
//! checksums and an error; a lock
//! file whose TOML has a string `provider` gives that provider, any other lock file a problem.
#![no_main]

use devtop::model::local_migrations::checksum_variants;
use devtop::prisma::migrations_dir::read;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The read chunk of `bounded_read::read_chunks`.
const CHUNK: usize = 64 << 10;

fn scratch_base() -> PathBuf {
    if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksums Prisma may have recorded, computed independently of devtop's streaming
/// code: the bytes as they are, CRLF → LF, then every LF → CRLF (from the LF form); distinct.
fn reference_checksums(script: &[u8]) -> Vec<String> {
    let mut lf = Vec::with_capacity(script.len());
    let mut i = 0;
    while i < script.len() {
        if script[i] == b'\r' && script.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        lf.push(script[i]);
        i += 1;
    }
    let mut crlf = Vec::with_capacity(lf.len() * 2);
    for &b in &lf {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    let mut out: Vec<String> = Vec::new();
    for v in [script, &lf, &crlf] {
        let sum = hex(&Sha256::digest(v));
        if !out.contains(&sum) {
            out.push(sum);
        }
    }
    out
}

fn check_checksums(script: &[u8], sums: &[String]) {
    assert_eq!(
        sums,
        reference_checksums(script),
        "checksums of a {}-byte script",
        script.len()
    );
    assert_eq!(sums, checksum_variants(script));
    if !script.contains(&b'\n') && !script.contains(&b'\r') {
        assert_eq!(sums.len(), 1, "no line ends, one checksum");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let lock = parts.next().unwrap_or_default();
    let has_lock = !data.starts_with(b"\0\0");
    if !has_lock {
        parts.next();
    }

    let dir = tempfile::Builder::new()
        .prefix("devtop-fuzz-migr-")
        .tempdir_in(scratch_base())
        .expect("scratch dir");
    let root = dir.path().join("migrations");
    std::fs::create_dir(&root).expect("migrations dir");
    if has_lock {
        std::fs::write(root.join("migration_lock.toml"), lock).expect("lock");
    }
    // Expected folders: name → script.
    let mut folders: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    let mut stray = 0;
    for _ in 0..16 {
        let Some(name) = parts.next() else { break };
        let script = parts.next();
        let mut name: Vec<u8> = name
            .iter()
            .map(|&b| if b == b'/' { b'_' } else { b })
            .collect();
        name.truncate(200);
        if name.is_empty() || name == b"." || name == b".." || name == b"migration_lock.toml" {
            continue;
        }
        if let Some(file) = name.strip_prefix(b"=") {
            if file.is_empty() || file == b"." || file == b".." || file == b"migration_lock.toml" {
                continue;
            }
            let p = root.join(OsStr::from_bytes(file));
            if p.exists() {
                continue;
            }
            std::fs::write(&p, script.unwrap_or_default()).expect("stray file");
            if !file.starts_with(b".") {
                stray += 1;
            }
            continue;
        }
        // A name starting with `+`: the script is padded so that its fuzzed part starts on
        // the last byte of devtop's first 64 KiB read chunk (a CR/LF split across chunks).
        let script: Option<Vec<u8>> = script.map(|sql| {
            if name.starts_with(b"+") {
                let mut padded = vec![b'-'; CHUNK - 1];
                padded.extend_from_slice(sql);
                padded
            } else {
                sql.to_vec()
            }
        });
        let p = root.join(OsStr::from_bytes(&name));
        let lossy = String::from_utf8_lossy(&name).into_owned();
        if p.exists() || folders.keys().any(|n| String::from_utf8_lossy(n) == lossy) {
            continue;
        }
        std::fs::create_dir(&p).expect("migration folder");
        if let Some(sql) = &script {
            std::fs::write(p.join("migration.sql"), sql).expect("script");
        }
        if !name.starts_with(b".") {
            folders.insert(name, script);
        }
    }

    let got = read(&root);
    assert!(got.exists);
    assert_eq!(
        got.migrations.len(),
        folders.len(),
        "one migration per folder"
    );
    for w in got.migrations.windows(2) {
        assert!(w[0].name <= w[1].name, "sorted by name");
    }
    for (m, (name, script)) in got.migrations.iter().zip(
        // Sorted by the lossy UTF-8 name, as the reader reports them.
        {
            let mut v: Vec<_> = folders.iter().collect();
            v.sort_by_key(|(n, _)| String::from_utf8_lossy(n).into_owned());
            v
        },
    ) {
        assert_eq!(m.name, String::from_utf8_lossy(name));
        match script {
            Some(sql) => {
                assert!(m.error.is_none(), "{:?}", m.error);
                check_checksums(sql, &m.checksums);
            }
            None => {
                assert!(m.checksums.is_empty());
                assert!(m.error.is_some());
            }
        }
    }
    let lock_prefix = format!("{}:", root.join("migration_lock.toml").display());
    let lock_problems = got
        .problems
        .iter()
        .filter(|p| p.starts_with(&lock_prefix))
        .count();
    if has_lock {
        let expected = std::str::from_utf8(lock)
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| match t.get("provider") {
                Some(toml::Value::String(p)) => Some(p.clone()),
                _ => None,
            });
        assert_eq!(got.lock_provider, expected);
        assert_eq!(
            lock_problems,
            usize::from(expected.is_none()),
            "{:?}",
            got.problems
        );
    } else {
        assert!(got.lock_provider.is_none());
        assert_eq!(lock_problems, 0);
    }
    assert_eq!(
        got.problems.len() - lock_problems,
        stray,
        "{:?}",
        got.problems
    );
});
