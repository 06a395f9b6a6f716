//! Memory model tests: the assessment levels, the available-memory history and its
//! projection, and byte formatting.
#![allow(clippy::unwrap_used)]

use super::history::HISTORY_MAX_SAMPLES;
use super::*;

fn snap(available: u64) -> MemorySnapshot {
    MemorySnapshot {
        total_bytes: 16 * GIB,
        available_bytes: available,
        swap_total_bytes: 0,
        swap_free_bytes: 0,
        cgroup: None,
        psi: None,
    }
}

fn psi(some10: f64, full10: f64) -> Psi {
    Psi {
        some_avg10: some10,
        some_avg60: 0.0,
        full_avg10: full10,
        full_avg60: 0.0,
    }
}

#[test]
fn format_bytes_examples() {
    assert_eq!(format_bytes(0), "0 B");
    assert_eq!(format_bytes(12), "12 B");
    assert_eq!(format_bytes(1023), "1023 B");
    assert_eq!(format_bytes(1024), "1 KiB");
    assert_eq!(format_bytes(950 * KIB), "950 KiB");
    assert_eq!(format_bytes(412 * MIB), "412 MiB");
    assert_eq!(format_bytes(500 * MIB), "500 MiB");
    assert_eq!(format_bytes(GIB), "1.0 GiB");
    assert_eq!(format_bytes(3 * GIB + 800 * MIB), "3.8 GiB");
    assert_eq!(format_bytes(4 * GIB), "4.0 GiB");
    assert_eq!(format_bytes(2 * 1024 * GIB), "2.0 TiB");
    assert_eq!(format_bytes(u64::MAX), "16.0 EiB");
}

#[test]
fn format_bytes_rounding_promotes_unit() {
    assert_eq!(format_bytes(1023 * KIB + 1000), "1 MiB");
    assert_eq!(format_bytes(MIB - 1), "1 MiB");
    assert_eq!(format_bytes(GIB - 1), "1.0 GiB");
    assert_eq!(format_bytes(1536), "2 KiB");
}

#[test]
fn thresholds_default() {
    let t = MemoryThresholds::default();
    assert_eq!(t.warn_available_bytes, 1024 * 1024 * 1024);
    assert_eq!(t.critical_available_bytes, 500 * 1024 * 1024);
    assert_eq!(t.psi_warn_some_avg10, 10.0);
    assert_eq!(t.psi_critical_full_avg10, 10.0);
}

#[test]
fn level_order_and_serialization() {
    assert!(Level::Critical > Level::Warn && Level::Warn > Level::Ok);
    assert_eq!(serde_json::to_string(&Level::Ok).unwrap(), "\"ok\"");
    assert_eq!(serde_json::to_string(&Level::Warn).unwrap(), "\"warn\"");
    assert_eq!(
        serde_json::to_string(&Level::Critical).unwrap(),
        "\"critical\""
    );
}

#[test]
fn available_boundaries() {
    let t = MemoryThresholds::default();
    let a = assess(&snap(GIB), &t);
    assert_eq!((a.level, a.reasons.len()), (Level::Ok, 0));
    assert_eq!(assess(&snap(GIB - 1), &t).level, Level::Warn);
    let a = assess(&snap(900 * MIB), &t);
    assert_eq!(a.level, Level::Warn);
    assert_eq!(
        a.reasons,
        vec!["MemAvailable 900 MiB < 1.0 GiB".to_string()]
    );
    assert_eq!(assess(&snap(500 * MIB), &t).level, Level::Warn);
    let a = assess(&snap(500 * MIB - 1), &t);
    assert_eq!(a.level, Level::Critical);
    let a = assess(&snap(412 * MIB), &t);
    assert_eq!(
        a.reasons,
        vec!["MemAvailable 412 MiB < 500 MiB".to_string()]
    );
    assert_eq!(assess(&snap(0), &t).level, Level::Critical);
}

#[test]
fn psi_boundaries() {
    let t = MemoryThresholds::default();
    let mut s = snap(8 * GIB);
    s.psi = Some(psi(9.99, 9.99));
    assert_eq!(assess(&s, &t).level, Level::Ok);
    s.psi = Some(psi(10.0, 0.0));
    let a = assess(&s, &t);
    assert_eq!(a.level, Level::Warn);
    assert_eq!(a.reasons, vec!["PSI some avg10 10.0% ≥ 10%".to_string()]);
    s.psi = Some(psi(0.0, 10.0));
    assert_eq!(assess(&s, &t).level, Level::Critical);
    s.psi = Some(psi(20.0, 12.3));
    let a = assess(&s, &t);
    assert_eq!(a.level, Level::Critical);
    assert_eq!(
        a.reasons,
        vec![
            "PSI full avg10 12.3% ≥ 10%".to_string(),
            "PSI some avg10 20.0% ≥ 10%".to_string()
        ]
    );
}

#[test]
fn worst_rule_wins() {
    let t = MemoryThresholds::default();
    let mut s = snap(800 * MIB);
    s.psi = Some(psi(0.0, 50.0));
    let a = assess(&s, &t);
    assert_eq!(a.level, Level::Critical);
    assert_eq!(a.reasons.len(), 2);
    s.available_bytes = 100 * MIB;
    s.psi = Some(psi(15.0, 0.0));
    assert_eq!(assess(&s, &t).level, Level::Critical);
}

#[test]
fn cgroup_effective_available() {
    let mut s = snap(8 * GIB);
    s.cgroup = Some(CgroupMemory {
        current_bytes: 3 * GIB + 800 * MIB,
        max_bytes: Some(4 * GIB),
        path: "/user.slice/app.scope".into(),
        inactive_file_bytes: 0,
        version: 2,
    });
    assert_eq!(s.effective_available(), 224 * MIB);
    assert!(s.cgroup_is_binding());
    assert_eq!(s.used_bytes(), 8 * GIB);
    let a = assess(&s, &MemoryThresholds::default());
    assert_eq!(a.level, Level::Critical);
    assert_eq!(
        a.reasons,
        vec![
            "cgroup headroom 224 MiB < 500 MiB".to_string(),
            "cgroup: 3.8 GiB of 4.0 GiB limit".to_string()
        ]
    );
}

#[test]
fn cgroup_over_limit_saturates() {
    let mut s = snap(8 * GIB);
    s.cgroup = Some(CgroupMemory {
        current_bytes: 5 * GIB,
        max_bytes: Some(4 * GIB),
        path: "/x".into(),
        inactive_file_bytes: 0,
        version: 2,
    });
    assert_eq!(s.effective_available(), 0);
}

#[test]
fn cgroup_not_binding_or_unlimited() {
    let mut s = snap(300 * MIB);
    s.cgroup = Some(CgroupMemory {
        current_bytes: GIB,
        max_bytes: Some(4 * GIB),
        path: "/x".into(),
        inactive_file_bytes: 0,
        version: 2,
    });
    assert_eq!(s.effective_available(), 300 * MIB);
    assert!(!s.cgroup_is_binding());
    let a = assess(&s, &MemoryThresholds::default());
    assert_eq!(
        a.reasons,
        vec!["MemAvailable 300 MiB < 500 MiB".to_string()]
    );
    s.cgroup = Some(CgroupMemory {
        current_bytes: 15 * GIB,
        max_bytes: None,
        path: "/x".into(),
        inactive_file_bytes: 0,
        version: 2,
    });
    assert_eq!(s.effective_available(), 300 * MIB);
}

#[test]
fn assessment_serializes() {
    let a = assess(&snap(412 * MIB), &MemoryThresholds::default());
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["level"], "critical");
    assert_eq!(v["reasons"][0], "MemAvailable 412 MiB < 500 MiB");
}

fn history(points: impl IntoIterator<Item = (f64, u64)>) -> AvailableHistory {
    let mut h = AvailableHistory::new();
    for (t, b) in points {
        h.push(t, b);
    }
    h
}

#[test]
fn steady_fall_projects_exhaustion() {
    // 4 GiB falling 10 MiB/s for 60 s, one sample a second.
    let h = history((0..=60).map(|i| (i as f64, 4 * GIB - i * 10 * MIB)));
    let latest = (4 * GIB - 600 * MIB) as f64;
    let expected = latest / (10 * MIB) as f64; // 349.6 s
    let got = h.projected_exhaustion_secs().unwrap();
    assert!((got - expected).abs() < 0.01, "{got} vs {expected}");
}

#[test]
fn mildly_noisy_fall_still_projects() {
    let h = history((0..60u64).map(|i| {
        let noise = if i % 2 == 0 { 20 * MIB } else { 0 };
        (i as f64, 4 * GIB - i * 10 * MIB + noise)
    }));
    let got = h.projected_exhaustion_secs().unwrap();
    assert!(got > 300.0 && got < 400.0, "{got}");
}

#[test]
fn flat_gives_none() {
    let h = history((0..60).map(|i| (i as f64, 2 * GIB)));
    assert_eq!(h.projected_exhaustion_secs(), None);
}

#[test]
fn rising_gives_none() {
    let h = history((0..60).map(|i| (i as f64, GIB + i * MIB)));
    assert_eq!(h.projected_exhaustion_secs(), None);
}

#[test]
fn noisy_gives_none() {
    // Big swings with a slight downward drift: the line explains little (R² < 0.6).
    let h = history((0..60u64).map(|i| {
        let swing = if i % 2 == 0 { 500 * MIB } else { 0 };
        (i as f64, 2 * GIB - i * MIB + swing)
    }));
    assert_eq!(h.projected_exhaustion_secs(), None);
}

#[test]
fn too_few_samples_or_short_span_gives_none() {
    let h = history((0..9).map(|i| (i as f64 * 10.0, 4 * GIB - i * 100 * MIB)));
    assert_eq!(h.projected_exhaustion_secs(), None);
    let h = history((0..29).map(|i| (i as f64, 4 * GIB - i * 100 * MIB)));
    assert_eq!(h.projected_exhaustion_secs(), None);
    let h = history((0..=30).map(|i| (i as f64, 4 * GIB - i * 100 * MIB)));
    assert!(h.projected_exhaustion_secs().is_some());
    assert_eq!(AvailableHistory::new().projected_exhaustion_secs(), None);
}

#[test]
fn window_trims_to_five_minutes() {
    let h = history((0..=400).map(|i| (i as f64, i)));
    assert_eq!(h.len(), 301);
    assert_eq!(h.samples().next(), Some((100.0, 100)));
    assert_eq!(h.latest(), Some((400.0, 400)));
    let values = h.sparkline_values();
    assert_eq!(values.len(), 301);
    assert_eq!((values[0], values[300]), (100, 400));
}

#[test]
fn push_ignores_nan_and_restarts_on_time_going_back() {
    let mut h = history((0..5).map(|i| (i as f64, i)));
    h.push(f64::NAN, 7);
    assert_eq!(h.len(), 5);
    h.push(1.0, 9);
    assert_eq!(h.sparkline_values(), vec![9]);
    assert!(!h.is_empty());
}

#[test]
fn sample_cap_bounds_memory() {
    let h = history((0..10_000).map(|i| (i as f64 * 0.01, 1)));
    assert_eq!(h.len(), HISTORY_MAX_SAMPLES);
}
