//! Checksums of migration scripts (Prisma's, with line-ending variants) and provider matching.
#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn sha256_of_known_input() {
    // The same digest Prisma's engine renders for "hello".
    assert_eq!(
        checksum_variants(b"hello"),
        ["2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"]
    );
}

#[test]
fn mixed_line_endings_and_no_newline() {
    let v = checksum_variants(b"a\r\nb\nc");
    assert_eq!(v.len(), 3);
    assert!(v.contains(&checksum_variants(b"a\nb\nc")[0]));
    assert!(v.contains(&checksum_variants(b"a\r\nb\r\nc")[0]));
    assert_eq!(checksum_variants(b"no newline").len(), 1);
    assert_eq!(checksum_variants(b"").len(), 1);
    // A lone CR is not a line ending.
    assert_eq!(checksum_variants(b"a\rb").len(), 1);
}

#[test]
fn provider_matching() {
    assert!(provider_matches("postgresql", "postgresql"));
    assert!(provider_matches("postgresql", "postgres"));
    assert!(provider_matches("PostgreSQL", "postgres"));
    assert!(provider_matches("mysql", "mysql"));
    assert!(provider_matches("mysql", "mariadb"));
    assert!(provider_matches("sqlite", "sqlite"));
    assert!(provider_matches("sqlite", "file"));
    assert!(provider_matches("cockroachdb", "postgresql"));
    assert!(provider_matches("sqlserver", "sqlserver"));
    assert!(!provider_matches("postgresql", "mysql"));
    assert!(!provider_matches("mysql", "postgres"));
    assert!(!provider_matches("sqlite", "postgresql"));
    assert!(!provider_matches("postgresql", "cockroachdb"));
    assert!(!provider_matches("", "postgresql"));
}

#[test]
fn chunks_give_the_digests_of_the_whole() {
    // A CRLF split between two chunks still counts as one line ending.
    let sql = b"CREATE TABLE a ();\r\nCREATE TABLE b ();\r\n";
    for cut in 0..=sql.len() {
        let mut sums = Checksums::default();
        sums.update(&sql[..cut]);
        sums.update(&sql[cut..]);
        assert_eq!(sums.finish(), checksum_variants(sql), "cut at {cut}");
    }
}
