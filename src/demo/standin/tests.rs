//! Stand-in unit tests: directive parsing, the ready file, the child spec's JSON, symlinks and
//! the start check.
#![allow(clippy::unwrap_used)]

use super::role::{pid_exists, started_as_standin};
use super::*;
use std::ffi::OsStr;
use std::fs;

#[test]
fn parses_all_directives() {
    let d = parse_directives(
        "sleep, busy=60,listen=0,listen=5173,ignore-term,zombie-child,child,orphan,exit,",
    )
    .unwrap();
    assert_eq!(
        d,
        vec![
            Directive::Sleep,
            Directive::Busy(60),
            Directive::Listen(0),
            Directive::Listen(5173),
            Directive::IgnoreTerm,
            Directive::ZombieChild,
            Directive::Child,
            Directive::Orphan,
            Directive::Exit,
        ]
    );
    assert_eq!(parse_directives("").unwrap(), vec![]);
    assert_eq!(
        format_directives(&d),
        "sleep,busy=60,listen=0,listen=5173,ignore-term,zombie-child,child,orphan,exit"
    );
}

#[test]
fn rejects_bad_directives() {
    for bad in [
        "busy",
        "busy=101",
        "busy=-1",
        "busy=x",
        "listen",
        "listen=70000",
        "sleep=1",
        "orphan=yes",
        "nap",
    ] {
        let err = parse_directives(&format!("sleep,{bad}")).unwrap_err();
        assert_eq!(err.directive, bad, "{err}");
    }
}

#[test]
fn ready_round_trip() {
    let r = Ready {
        pid: 42,
        port: Some(5173),
        child: Some(43),
    };
    assert_eq!(r.to_string(), "pid=42 port=5173 child=43");
    assert_eq!(Ready::parse(&format!("{r}\n")), Some(r));
    let bare = Ready {
        pid: 7,
        ..Ready::default()
    };
    assert_eq!(bare.to_string(), "pid=7");
    assert_eq!(Ready::parse("pid=7"), Some(bare));
    assert_eq!(Ready::parse("port=1"), None);
    assert_eq!(Ready::parse("pid=x"), None);
    assert_eq!(Ready::parse(""), None);
}

#[test]
fn ready_file_is_written_atomically_and_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ready");
    let err = wait_ready(&path, Duration::from_millis(30)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    let r = Ready {
        pid: 1234,
        port: None,
        child: Some(99),
    };
    r.write_atomic(&path).unwrap();
    assert!(!tmp_path(&path).exists());
    assert_eq!(wait_ready(&path, Duration::from_secs(1)).unwrap(), r);
    fs::write(&path, "garbage").unwrap();
    assert_eq!(
        wait_ready(&path, Duration::from_secs(1))
            .unwrap_err()
            .kind(),
        io::ErrorKind::InvalidData
    );
}

#[test]
fn child_spec_json_shape() {
    let spec: ChildSpec =
        serde_json::from_str(r#"{"exe": "/t/bin/node", "args": ["a", "b"], "mode": "busy=60"}"#)
            .unwrap();
    assert_eq!(spec.exe, PathBuf::from("/t/bin/node"));
    assert_eq!(spec.args, ["a", "b"]);
    assert_eq!(spec.mode, "busy=60");
    let minimal: ChildSpec = serde_json::from_str(r#"{"exe": "/x"}"#).unwrap();
    assert!(minimal.args.is_empty() && minimal.mode.is_empty());
}

#[test]
fn link_as_creates_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    fs::write(&a, "a").unwrap();
    fs::write(&b, "b").unwrap();
    let link = link_as(dir.path(), "node", &a).unwrap();
    assert_eq!(link, dir.path().join("node"));
    assert_eq!(fs::read_link(&link).unwrap(), a);
    let link = link_as(dir.path(), "node", &b).unwrap();
    assert_eq!(fs::read_link(&link).unwrap(), b);
    assert_eq!(fs::read_to_string(&link).unwrap(), "b");
}

#[test]
fn pid_exists_for_self_not_for_nonsense() {
    assert!(pid_exists(std::process::id()));
    assert!(!pid_exists(u32::MAX));
}

#[test]
fn only_a_start_under_another_name_with_the_mode_set_is_a_standin() {
    let never = || -> bool { panic!("the environment is not read for a start as devtop") };
    assert!(!started_as_standin(Some(OsStr::new("devtop")), never));
    assert!(!started_as_standin(
        Some(OsStr::new("/usr/local/bin/devtop")),
        never
    ));
    assert!(!started_as_standin(
        Some(OsStr::new("target/debug/devtop")),
        never
    ));
    assert!(started_as_standin(
        Some(OsStr::new("/tmp/x/bin/node")),
        || true
    ));
    assert!(started_as_standin(
        Some(OsStr::new("schema-engine")),
        || true
    ));
    assert!(!started_as_standin(
        Some(OsStr::new("/tmp/x/bin/node")),
        || false
    ));
    assert!(started_as_standin(None, || true));
    assert!(!started_as_standin(None, || false));
}
