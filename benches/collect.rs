//! Cost of one collection pass and of the pure parts behind a frame.
//!
//! Run: `cargo bench --bench collect` (shorter: `-- --warm-up-time 1 --measurement-time 5`).
//!
//! Groups:
//! - `collect/current`: `ProcessCollector::collect()` at the machine's population; `pass` is a
//!   steady-state pass (the collector has seen every PID), `first_pass` a cold one (new
//!   collector, every PID discovered); `list_pids` (readdir of /proc) and `listen_table_read`
//!   (`/proc/net/tcp` + `tcp6`) are two parts of every pass.
//! - `collect/extra`: the same after spawning `DEVTOP_BENCH_EXTRA` (default 3000) sleeping
//!   processes of the current user (capped by `ulimit -u` and `pid_max`; 50 when run as a test).
//!   They are killed and reaped by PID when the group ends, also on panic.
//! - `model`: `suspects::evaluate` and `tree::tree_rows` on the fixture snapshot.
//! - `ui`: one render of the whole screen into a 160x48 `TestBackend`.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use devtop::app::state::AppState;
use devtop::collect::ports::ListenTable;
use devtop::collect::processes::{ProcessCollector, Selection, list_pids};
use devtop::config::DEFAULT_MATCH;
use devtop::model::fixtures;
use devtop::model::suspects::{SuspectRules, evaluate};
use devtop::model::tree::{Scope, SortKey, tree_rows};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Extra sleeping processes spawned for `collect/extra` unless `DEVTOP_BENCH_EXTRA` says.
const DEFAULT_EXTRA: usize = 3000;
/// Extra processes when the bench binary runs as a test (`cargo test --benches`).
const TEST_MODE_EXTRA: usize = 50;
/// Processes and PIDs left free for the rest of the machine.
const HEADROOM: u64 = 512;

fn selection(root: &Path) -> Selection {
    Selection {
        match_words: DEFAULT_MATCH.iter().map(|s| (*s).to_owned()).collect(),
        scope: Scope::User,
        root: root.to_owned(),
        rules: SuspectRules::default(),
        show_own_children: false,
    }
}

fn new_collector(root: &Path) -> ProcessCollector {
    match ProcessCollector::new(selection(root)) {
        Ok(c) => c,
        Err(e) => panic!("cannot initialise sysinfo: {e}"),
    }
}

/// Sleeping children, killed (SIGKILL to each child's own PID) and reaped when dropped.
struct Sleepers {
    children: Vec<Child>,
}

impl Sleepers {
    /// Spawn up to `n` `sleep 3600` processes; stops early (with a note) when a spawn fails.
    fn spawn(n: usize) -> Sleepers {
        let mut s = Sleepers {
            children: Vec::with_capacity(n),
        };
        for _ in 0..n {
            let spawned = Command::new("sleep")
                .arg("3600")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            match spawned {
                Ok(c) => s.children.push(c),
                Err(e) => {
                    eprintln!("spawned {} of {n} sleepers, then: {e}", s.children.len());
                    break;
                }
            }
        }
        s
    }

    fn len(&self) -> usize {
        self.children.len()
    }
}

impl Drop for Sleepers {
    fn drop(&mut self) {
        for c in &mut self.children {
            // Child::kill signals this child's PID only; a child already reaped is skipped.
            let _ = c.kill();
        }
        for c in &mut self.children {
            let _ = c.wait();
        }
    }
}

fn count_pids() -> u64 {
    list_pids(Path::new("/proc")).len() as u64
}

/// How many extra processes to spawn: the request, capped by `ulimit -u` (RLIMIT_NPROC, which
/// counts every thread of this user, approximated here by every process on the machine) and by
/// `kernel/pid_max`, each less [`HEADROOM`].
fn extra_count() -> usize {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let requested = match std::env::var("DEVTOP_BENCH_EXTRA") {
        Ok(v) => v.trim().parse().unwrap_or(DEFAULT_EXTRA),
        Err(_) if bench_mode => DEFAULT_EXTRA,
        Err(_) => TEST_MODE_EXTRA,
    };
    let now = count_pids();
    let nproc = rustix::process::getrlimit(rustix::process::Resource::Nproc).current;
    let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let mut allowed = requested as u64;
    for limit in [nproc, pid_max].into_iter().flatten() {
        allowed = allowed.min(limit.saturating_sub(now + HEADROOM));
    }
    eprintln!(
        "processes now: {now}; ulimit -u: {}; pid_max: {}; extra requested {requested}, allowed {allowed}",
        nproc.map_or("unlimited".to_owned(), |n| n.to_string()),
        pid_max.map_or("?".to_owned(), |n| n.to_string()),
    );
    allowed as usize
}

/// `pass` (steady state) and `first_pass` (cold collector) at the current population.
fn bench_passes(c: &mut Criterion, group_name: &str) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temp dir: {e}"),
    };
    let root = dir.path();
    let mut collector = new_collector(root);
    let t = Instant::now();
    let first = collector.collect();
    eprintln!(
        "{group_name}: scanned {} PIDs, shown {}, suspects {}; warm-up pass {:.1} ms",
        first.scanned,
        first.processes.len(),
        first.suspects.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut group = c.benchmark_group(group_name);
    group.sample_size(30);
    group.bench_function("pass", |b| b.iter(|| black_box(collector.collect())));
    // Two parts of every pass, to see what dominates it.
    group.bench_function("list_pids", |b| {
        b.iter(|| black_box(list_pids(Path::new("/proc"))))
    });
    group.bench_function("listen_table_read", |b| {
        b.iter(|| black_box(ListenTable::read()))
    });
    group.bench_function("first_pass", |b| {
        b.iter_batched(
            || new_collector(root),
            |mut fresh| black_box(fresh.collect()),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn collect_current(c: &mut Criterion) {
    bench_passes(c, "collect/current");
}

fn collect_extra(c: &mut Criterion) {
    let n = extra_count();
    if n == 0 {
        eprintln!("collect/extra: no room for extra processes, skipped");
        return;
    }
    let t = Instant::now();
    let sleepers = Sleepers::spawn(n);
    eprintln!(
        "collect/extra: spawned {} sleepers in {:.1} s",
        sleepers.len(),
        t.elapsed().as_secs_f64()
    );
    bench_passes(c, "collect/extra");
    drop(sleepers);
}

fn model(c: &mut Criterion) {
    let snap = fixtures::process_snapshot();
    let rules = SuspectRules::default();
    let history = HashMap::new();
    let mut group = c.benchmark_group("model");
    group.bench_function("suspects_evaluate", |b| {
        b.iter(|| {
            black_box(evaluate(
                black_box(&snap.processes),
                &history,
                &rules,
                &|pid| (pid == 1).then(|| "init".to_owned()),
            ))
        })
    });
    group.bench_function("tree_rows", |b| {
        b.iter(|| {
            black_box(tree_rows(black_box(&snap.processes), SortKey::Cpu, &|_| {
                true
            }))
        })
    });
    group.finish();
}

fn ui(c: &mut Criterion) {
    let state = AppState::new(
        Arc::new(fixtures::process_snapshot()),
        Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    let logs = tui_logger::TuiWidgetState::new();
    let mut term = match Terminal::new(TestBackend::new(160, 48)) {
        Ok(t) => t,
        Err(e) => panic!("cannot create the test terminal: {e}"),
    };
    c.bench_function("ui/render_160x48", |b| {
        b.iter(|| {
            if let Err(e) = term.draw(|f| devtop::ui::render(f, &state, &logs)) {
                panic!("draw failed: {e}");
            }
        })
    });
}

criterion_group!(benches, model, ui, collect_current, collect_extra);
criterion_main!(benches);
