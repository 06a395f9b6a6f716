#![allow(clippy::unwrap_used)]

use super::*;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn follower(path: &Path, start: Start, max_lines: usize) -> LogFollower {
    LogFollower::new([("api".to_owned(), path.to_owned())], start, max_lines)
}

fn texts(f: &mut LogFollower) -> Vec<String> {
    let mut out = Vec::new();
    f.poll(&mut out);
    out.into_iter().map(|l| l.text).collect()
}

fn append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// `n` lines `line <i>` for `i` in `from..from + n`, padded to `width` bytes with the newline.
fn numbered(from: usize, n: usize, width: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(n * width);
    for i in from..from + n {
        let line = format!("line {i}");
        v.extend_from_slice(format!("{line:<w$}\n", w = width - 1).as_bytes());
    }
    v
}

/// The number in a `line <i>` text, `None` for a skip report.
fn number(text: &str) -> Option<usize> {
    text.strip_prefix("line ")?.trim_end().parse().ok()
}

/// N of an "… N lines skipped" text.
fn skipped(text: &str) -> Option<u64> {
    text.strip_prefix("… ")?.split(' ').next()?.parse().ok()
}

#[test]
fn a_line_split_over_two_writes_is_joined_and_crlf_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.log");
    let mut f = follower(&path, Start::End, 100);
    assert!(texts(&mut f).is_empty(), "no file yet");
    let mut w = append(&path);
    w.write_all(b"one\r\ntw").unwrap();
    assert_eq!(texts(&mut f), ["one"]);
    assert!(texts(&mut f).is_empty(), "the partial line waits");
    w.write_all(b"o\nthree\n").unwrap();
    assert_eq!(texts(&mut f), ["two", "three"]);
}

#[test]
fn start_at_the_end_or_the_tail_begins_at_a_line_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.log");
    std::fs::write(&path, "old\nhalf a li").unwrap();
    let mut end = follower(&path, Start::End, 100);
    let mut w = append(&path);
    w.write_all(b"ne\nnew\n").unwrap();
    assert_eq!(texts(&mut end), ["new"], "the cut line is not shown");

    std::fs::write(&path, "aaaa\nbbbb\ncccc\n").unwrap();
    // 10 bytes back is exactly the start of "bbbb"; 8 is inside it.
    assert_eq!(
        texts(&mut follower(&path, Start::Tail(10), 100)),
        ["bbbb", "cccc"]
    );
    assert_eq!(texts(&mut follower(&path, Start::Tail(8), 100)), ["cccc"]);
    let mut at_end = follower(&path, Start::End, 100);
    append(&path).write_all(b"dddd\n").unwrap();
    assert_eq!(texts(&mut at_end), ["dddd"], "a file ending in a newline");
}

#[test]
fn rotation_replacement_and_copy_truncate_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.log");
    let mut w = append(&path);
    let mut f = follower(&path, Start::End, 100);
    w.write_all(b"first\n").unwrap();
    assert_eq!(texts(&mut f), ["first"]);

    // Copy-truncate (what the supervisor does): the writer keeps its O_APPEND descriptor.
    std::fs::copy(&path, dir.path().join("api.log.1")).unwrap();
    append(&path).set_len(0).unwrap();
    w.write_all(b"after truncate\n").unwrap();
    assert_eq!(texts(&mut f), ["after truncate"]);

    // Renamed away and a new file at the path (another inode), longer than what was read.
    std::fs::rename(&path, dir.path().join("api.log.2")).unwrap();
    assert!(
        texts(&mut f).is_empty(),
        "between the rename and the create"
    );
    let mut w = append(&path);
    w.write_all(b"a new file, longer than the old one\n")
        .unwrap();
    assert_eq!(texts(&mut f), ["a new file, longer than the old one"]);

    // Truncated and written past the old offset between two polls: the byte before the
    // offset changed, so it is read again from the start.
    append(&path).set_len(0).unwrap();
    w.write_all(b"rewritten in place, and longer than before!!\n")
        .unwrap();
    assert_eq!(
        texts(&mut f),
        ["rewritten in place, and longer than before!!"]
    );
    w.write_all(b"next\n").unwrap();
    assert_eq!(texts(&mut f), ["next"]);
}

#[test]
fn lines_are_cut_stripped_and_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.log");
    let mut f = follower(&path, Start::End, 100);
    let mut w = append(&path);
    let long = "é".repeat(LINE_CAP); // 2 bytes each: cut inside a character
    w.write_all(
        format!("{long}\n\u{1b}[32mready\u{1b}[0m\nDATABASE_URL=postgres://u:hunter2@h/db\n")
            .as_bytes(),
    )
    .unwrap();
    let got = texts(&mut f);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], "é".repeat(LINE_CAP / 2) + "…");
    assert_eq!(got[1], "ready");
    assert!(!got[2].contains("hunter2"), "{}", got[2]);
}

#[test]
fn lines_of_one_server_share_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let mut f = LogFollower::new(
        [("a".to_owned(), a.clone()), ("b".to_owned(), b.clone())],
        Start::End,
        100,
    );
    std::fs::write(&a, "1\n2\n").unwrap();
    std::fs::write(&b, "3\n").unwrap();
    let mut out = Vec::new();
    f.poll(&mut out);
    let shown: Vec<_> = out
        .iter()
        .map(|l| format!("{}|{}", l.server, l.text))
        .collect();
    assert_eq!(shown, ["a|1", "a|2", "b|3"]);
    assert!(Arc::ptr_eq(&out[0].server, &out[1].server));
}

#[test]
fn a_burst_of_200k_lines_yields_the_newest_cap_lines_and_one_skip_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.log");
    let mut f = follower(&path, Start::End, 1000);
    let total = 200_000;
    append(&path).write_all(&numbered(0, total, 12)).unwrap(); // 2.4 MB
    let mut out = Vec::new();
    f.poll(&mut out);
    assert_eq!(out.len(), 1001, "the cap plus one skip report");
    assert_eq!(
        skipped(&out[0].text),
        Some((total - 1000) as u64),
        "{}",
        out[0].text
    );
    let numbers: Vec<_> = out[1..].iter().map(|l| number(&l.text).unwrap()).collect();
    assert_eq!(numbers, (total - 1000..total).collect::<Vec<_>>());
    assert!(
        f.buf.capacity() <= 2 * READ_CAP as usize,
        "{}",
        f.buf.capacity()
    );
    out.clear();
    f.poll(&mut out);
    assert!(out.is_empty(), "caught up: {out:?}");
}

#[test]
fn a_writer_appending_200k_lines_while_followed_is_accounted_for_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.log");
    let mut f = follower(&path, Start::End, 500);
    let total = 200_000;
    let mut w = append(&path);
    let writer = std::thread::spawn(move || {
        // Writes of 1000 lines cut at an odd size, so lines are split between writes.
        let all = numbered(0, total, 10);
        for chunk in all.chunks(9_997) {
            w.write_all(chunk).unwrap();
        }
    });
    let (mut shown, mut skipped_total, mut next, mut passes) = (0u64, 0u64, 0usize, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while (shown + skipped_total) < total as u64 {
        assert!(
            Instant::now() < deadline,
            "not caught up: {shown} + {skipped_total}"
        );
        let mut out = Vec::new();
        f.poll(&mut out);
        passes += 1;
        assert!(out.len() <= 501, "a pass returned {} lines", out.len());
        for l in &out {
            if let Some(n) = skipped(&l.text) {
                skipped_total += n;
                next += n as usize;
            } else {
                // Every shown line is whole and in order right after what was skipped.
                assert_eq!(number(&l.text), Some(next), "{:?}", l.text);
                next += 1;
                shown += 1;
            }
        }
        if out.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    writer.join().unwrap();
    assert_eq!(shown + skipped_total, total as u64);
    assert!(passes >= 1);
    eprintln!("{passes} passes, {shown} shown, {skipped_total} skipped");
}

#[test]
fn a_backlog_beyond_the_scan_cap_is_caught_up_over_polls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.log");
    let mut f = follower(&path, Start::End, 100);
    let width = 100;
    let total = (SCAN_CAP + 2 * READ_CAP) as usize / width; // ~18 MiB
    append(&path).write_all(&numbered(0, total, width)).unwrap();
    let mut first = Vec::new();
    f.poll(&mut first);
    assert_eq!(first.len(), 101);
    let last_first = number(&first[100].text).unwrap();
    assert!(last_first < total - 1, "one poll reads at most the caps");
    let mut second = Vec::new();
    f.poll(&mut second);
    assert_eq!(second.len(), 101);
    assert_eq!(number(&second[100].text), Some(total - 1));
    let counted: u64 = [&first[0], &second[0]]
        .iter()
        .map(|l| skipped(&l.text).unwrap())
        .sum();
    assert_eq!(counted + 200, total as u64);
}
