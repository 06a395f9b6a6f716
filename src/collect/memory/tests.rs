//! Parsers and readers of `/proc/meminfo`, PSI and cgroup memory files.
#![allow(clippy::unwrap_used)]

use super::*;

const GIB: u64 = 1024 * 1024 * 1024;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/proc")
        .join(name);
    fs::read_to_string(&path).unwrap()
}

fn root(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn parses_meminfo_fixture() {
    let m = parse_meminfo(&fixture("meminfo")).unwrap();
    assert_eq!(m.total_bytes, 16_314_776 * 1024);
    assert_eq!(m.available_bytes, 9_876_544 * 1024);
    assert_eq!(m.swap_total_bytes, 2_097_148 * 1024);
    assert_eq!(m.swap_free_bytes, 2_097_148 * 1024);
}

#[test]
fn parses_low_memory_fixture() {
    let m = parse_meminfo(&fixture("meminfo_low")).unwrap();
    assert_eq!(m.available_bytes, 421_888 * 1024);
    assert!(m.swap_free_bytes < m.swap_total_bytes);
}

#[test]
fn meminfo_missing_key_is_named() {
    let text = fixture("meminfo").replace("MemAvailable", "MemAvail");
    let err = parse_meminfo(&text).unwrap_err();
    assert_eq!(err, ParseError::MissingKey("MemAvailable"));
    assert!(err.to_string().contains("MemAvailable"));
    assert_eq!(parse_meminfo(""), Err(ParseError::MissingKey("MemTotal")));
}

#[test]
fn meminfo_bad_value_is_error_not_panic() {
    let text = "MemTotal: lots kB\nMemAvailable: 1 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n";
    assert!(matches!(
        parse_meminfo(text),
        Err(ParseError::BadValue {
            key: "MemTotal",
            ..
        })
    ));
    let text = "MemTotal: 99999999999999999999999 kB\n";
    assert!(parse_meminfo(text).is_err());
    let text =
        "MemTotal: 18446744073709551615 kB\nMemAvailable: 1 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB";
    assert_eq!(parse_meminfo(text).unwrap().total_bytes, u64::MAX);
    assert!(parse_meminfo(":::\n\u{0}garbage\nMemTotal:").is_err());
}

#[test]
fn parses_psi_with_full() {
    let p = parse_psi(&fixture("pressure_memory")).unwrap();
    assert_eq!(p.some_avg10, 14.52);
    assert_eq!(p.some_avg60, 6.10);
    assert_eq!(p.full_avg10, 12.30);
    assert_eq!(p.full_avg60, 4.75);
}

#[test]
fn parses_psi_without_full() {
    let p = parse_psi(&fixture("pressure_memory_no_full")).unwrap();
    assert_eq!((p.some_avg10, p.some_avg60), (1.5, 0.25));
    assert_eq!((p.full_avg10, p.full_avg60), (0.0, 0.0));
}

#[test]
fn psi_malformed_is_none() {
    assert_eq!(parse_psi(""), None);
    assert_eq!(parse_psi("some avg10=x avg60=0.00"), None);
    assert_eq!(parse_psi("some avg10=NaN avg60=0.00"), None);
    assert_eq!(parse_psi("full avg10=1.00 avg60=1.00"), None);
}

#[test]
fn parses_cgroup_paths() {
    assert_eq!(
        parse_cgroup_v2_path(&fixture("self_cgroup_v2")).as_deref(),
        Some("/user.slice/user-1000.slice/user@1000.service/app.slice/devtop.scope")
    );
    assert_eq!(
        parse_cgroup_v2_path(&fixture("self_cgroup_hybrid")).as_deref(),
        Some("/user.slice/user-1000.slice/session-2.scope")
    );
    assert_eq!(parse_cgroup_v2_path(&fixture("self_cgroup_v1")), None);
    assert_eq!(parse_cgroup_v2_path("0::/\n").as_deref(), Some("/"));
    assert_eq!(parse_cgroup_v2_path("0::\n"), None);
}

#[test]
fn parses_memory_max() {
    assert_eq!(parse_memory_max("max\n"), None);
    assert_eq!(parse_memory_max("4294967296\n"), Some(4 * GIB));
    assert_eq!(parse_memory_max("garbage"), None);
}

#[test]
fn reads_limited_root_walking_up_to_nearest_limit() {
    let s = MemoryReader::with_root(root("root_cgroup_limited"))
        .read()
        .unwrap();
    assert_eq!(s.total_bytes, 16_314_776 * 1024);
    let cg = s.cgroup.unwrap();
    // Leaf (app.scope) says "max"; the parent user.slice/dev.slice has a 4 GiB limit.
    assert_eq!(cg.path, "/user.slice/dev.slice");
    assert_eq!(cg.max_bytes, Some(4 * GIB));
    assert_eq!(cg.current_bytes, 4_080_218_931);
    assert!(s.psi.is_some());
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn minimal_root_has_no_cgroup_or_psi() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "proc/meminfo", &fixture("meminfo"));
    let s = MemoryReader::with_root(dir.path()).read().unwrap();
    assert_eq!((s.cgroup, s.psi), (None, None));
}

#[test]
fn unlimited_cgroup_reports_leaf_with_no_max() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "proc/meminfo", &fixture("meminfo"));
    write(dir.path(), "proc/self/cgroup", "0::/a/b\n");
    write(dir.path(), "sys/fs/cgroup/a/memory.max", "max\n");
    write(dir.path(), "sys/fs/cgroup/a/memory.current", "900\n");
    write(dir.path(), "sys/fs/cgroup/a/b/memory.max", "max\n");
    write(dir.path(), "sys/fs/cgroup/a/b/memory.current", "100\n");
    let cg = MemoryReader::with_root(dir.path()).read_cgroup().unwrap();
    assert_eq!(
        (cg.path.as_str(), cg.max_bytes, cg.current_bytes),
        ("/a/b", None, 100)
    );
}

#[test]
fn missing_meminfo_is_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = MemoryReader::with_root(dir.path()).read().unwrap_err();
    assert!(matches!(err, MemoryError::Io { .. }));
    write(dir.path(), "proc/meminfo", "MemTotal: 1 kB\n");
    let err = MemoryReader::with_root(dir.path()).read().unwrap_err();
    assert!(err.to_string().contains("MemAvailable"), "{err}");
}

#[test]
fn reads_cgroup_v1_limit_when_v2_has_none() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "proc/meminfo", &fixture("meminfo"));
    write(
        dir.path(),
        "proc/self/cgroup",
        "9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n",
    );
    let v1 = "sys/fs/cgroup/memory/process_api";
    write(
        dir.path(),
        &format!("{v1}/memory.limit_in_bytes"),
        "2147483648\n",
    );
    write(
        dir.path(),
        &format!("{v1}/memory.usage_in_bytes"),
        "1610612736\n",
    );
    write(
        dir.path(),
        &format!("{v1}/memory.stat"),
        "cache 1\ninactive_file 5\ntotal_inactive_file 536870912\n",
    );
    write(
        dir.path(),
        &format!("{v1}/abc/memory.limit_in_bytes"),
        "9223372036854771712\n",
    );
    write(
        dir.path(),
        &format!("{v1}/abc/memory.usage_in_bytes"),
        "100\n",
    );
    let cg = MemoryReader::with_root(dir.path()).read_cgroup().unwrap();
    assert_eq!(cg.version, 1);
    assert_eq!(cg.path, "/process_api");
    assert_eq!(cg.max_bytes, Some(2 * GIB));
    assert_eq!(cg.working_set_bytes(), GIB);
}

#[test]
fn v1_parsers() {
    assert_eq!(
        parse_cgroup_v1_memory_path("5:cpuacct,cpu:/\n4:memory,hugetlb:/docker/x\n").as_deref(),
        Some("/docker/x")
    );
    assert_eq!(parse_cgroup_v1_memory_path("0::/\n"), None);
    assert_eq!(parse_v1_limit("9223372036854771712"), None);
    assert_eq!(parse_v1_limit("1073741824\n"), Some(GIB));
    assert_eq!(parse_v1_limit("x"), None);
    assert_eq!(parse_inactive_file("inactive_file 42\n"), 42);
    assert_eq!(parse_inactive_file("anon 1\n"), 0);
}

#[test]
fn reads_real_system() {
    let s = MemoryReader::system().read().unwrap();
    assert!(s.total_bytes > 0);
    assert!(s.available_bytes <= s.total_bytes);
}
