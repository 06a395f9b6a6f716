//! Scale: the process collector, the list's rows and one frame with many processes on the
//! machine and many of them matched. Spawns `DEVTOP_SCALE_TOTAL` (default 10,000, less what
//! already runs) sleeping processes, `DEVTOP_SCALE_MATCHED` (default 1,000) of them with
//! argv[0] `node` (a dev tool to devtop's matcher) and the rest with argv[0] `sleep`: each is
//! `sleep 86400` exec'd with that argv[0] (`Command::arg0`, like `exec -a`) and marked with
//! `DEVTOP_SCALE_MARKER=devtop-scale-<bench pid>` in its environment (`sleep` takes no free
//! argument). Each is killed by its own PID and reaped when the bench ends (also on panic),
//! and asks the kernel for SIGKILL when the bench dies (PR_SET_PDEATHSIG).
//!
//! Prints, in milliseconds: the first pass (a new collector: every PID discovered), the
//! steady pass (median and mean of `DEVTOP_SCALE_PASSES`, default 20), the rows (tree order)
//! and one whole frame at 160x48 with that snapshot (median), and this process's RSS; then,
//! once the processes are gone, the capacity of the collector's PID maps (devtop's and
//! sysinfo's) and the RSS, with them and after.
//! The figure per refresh is `pass + rows + frame`; at the default 1 s refresh that many ms
//! is that many tenths of a percent of one core.
//!
//! Run: `cargo bench --bench scale` (`cargo test --benches` runs it with 200 processes).

use devtop::app::state::AppState;
use devtop::collect::processes::{ProcessCollector, Selection, list_pids};
use devtop::config::DEFAULT_MATCH;
use devtop::model::fixtures;
use devtop::model::suspects::SuspectRules;
use devtop::model::tree::{Scope, SortKey, tree_rows};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Processes and PIDs left free for the rest of the machine.
const HEADROOM: u64 = 1024;

fn env_num(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) => v.trim().parse().unwrap_or_else(|_| {
            eprintln!("{name}={v:?}: expected a whole number");
            std::process::exit(2);
        }),
    }
}

/// Sleeping children, killed (SIGKILL to each child's own PID) and reaped when dropped.
struct Sleepers(Vec<Child>);

impl Drop for Sleepers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

fn spawn(n: usize, matched: usize, marker: &str) -> Sleepers {
    let mut s = Sleepers(Vec::with_capacity(n));
    for i in 0..n {
        let mut cmd = Command::new("sleep");
        cmd.arg0(if i < matched { "node" } else { "sleep" })
            .arg("86400")
            .env("DEVTOP_SCALE_MARKER", marker)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                let _ = rustix::process::set_parent_process_death_signal(Some(
                    rustix::process::Signal::KILL,
                ));
                Ok(())
            });
        }
        match cmd.spawn() {
            Ok(c) => s.0.push(c),
            Err(e) => {
                eprintln!("spawned {} of {n}, then: {e}", s.0.len());
                break;
            }
        }
    }
    s
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let total = env_num("DEVTOP_SCALE_TOTAL", if bench_mode { 10_000 } else { 200 });
    let matched = env_num("DEVTOP_SCALE_MATCHED", if bench_mode { 1_000 } else { 20 });
    let passes = env_num("DEVTOP_SCALE_PASSES", if bench_mode { 20 } else { 3 }).max(1);

    let now = list_pids(Path::new("/proc")).len() as u64;
    let nproc = rustix::process::getrlimit(rustix::process::Resource::Nproc).current;
    let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let mut want = (total as u64).saturating_sub(now);
    for limit in [nproc, pid_max].into_iter().flatten() {
        want = want.min(limit.saturating_sub(now + HEADROOM));
    }
    let marker = format!("devtop-scale-{}", std::process::id());
    let t = Instant::now();
    let sleepers = spawn(want as usize, matched.min(want as usize), &marker);
    let on_machine = list_pids(Path::new("/proc")).len();
    println!(
        "scale: {} processes on the machine ({} spawned in {:.1} s, {} of them argv[0] node)",
        on_machine,
        sleepers.0.len(),
        t.elapsed().as_secs_f64(),
        matched.min(sleepers.0.len())
    );

    let dir = tempfile::tempdir().unwrap_or_else(|e| {
        eprintln!("cannot create a temp dir: {e}");
        std::process::exit(2);
    });
    let selection = Selection {
        match_words: DEFAULT_MATCH.iter().map(|s| (*s).to_owned()).collect(),
        scope: Scope::User,
        root: dir.path().to_owned(),
        rules: SuspectRules::default(),
        // The sleepers are this bench's children: list them.
        show_own_children: true,
    };
    let mut collector = ProcessCollector::new(selection).unwrap_or_else(|e| {
        eprintln!("cannot initialise sysinfo: {e}");
        std::process::exit(2);
    });
    let t = Instant::now();
    let first = collector.collect();
    let first_ms = ms(t.elapsed());
    let mut pass_ms = Vec::new();
    let mut snap = first;
    for _ in 0..passes {
        let t = Instant::now();
        snap = collector.collect();
        pass_ms.push(ms(t.elapsed()));
    }
    let shown = snap.processes.len();
    let scanned = snap.scanned;

    let mut rows_ms = Vec::new();
    for _ in 0..passes {
        let t = Instant::now();
        let rows = tree_rows(&snap.processes, SortKey::Cpu, &|_| true);
        rows_ms.push(ms(t.elapsed()));
        std::hint::black_box(rows);
    }

    let state = AppState::new(
        Arc::new(snap),
        Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    let logs = tui_logger::TuiWidgetState::new();
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|e| {
        eprintln!("cannot create the test terminal: {e}");
        std::process::exit(2);
    });
    let mut frame_ms = Vec::new();
    for _ in 0..passes {
        let t = Instant::now();
        if let Err(e) = term.draw(|f| devtop::ui::render(f, &state, &logs)) {
            eprintln!("draw failed: {e}");
            std::process::exit(1);
        }
        frame_ms.push(ms(t.elapsed()));
    }
    let mean = pass_ms.iter().sum::<f64>() / pass_ms.len() as f64;
    let (p, r, f) = (median(pass_ms), median(rows_ms), median(frame_ms));
    println!("scale: scanned {scanned} PIDs, shown {shown}");
    println!("scale: first pass {first_ms:.1} ms (cold collector)");
    println!("scale: steady pass {p:.1} ms median, {mean:.1} ms mean of {passes}");
    println!("scale: rows (tree, sort CPU) {r:.2} ms median");
    println!("scale: frame 160x48 {f:.2} ms median");
    println!(
        "scale: per refresh {:.1} ms (= {:.1} % of one core at a 1 s refresh); RSS {} KiB",
        p + r + f,
        (p + r + f) / 10.0,
        rss_kib()
    );
    // The spike ends: the sleepers go, and the PID maps give their room back.
    let (entries_cap, sysinfo_cap) = collector.pid_map_capacity();
    let rss_with = rss_kib();
    drop(sleepers);
    drop(state);
    let t = Instant::now();
    let after = collector.collect();
    let after_ms = ms(t.elapsed());
    collector.collect();
    let (entries_after, sysinfo_after) = collector.pid_map_capacity();
    println!(
        "scale: after the spike ({} PIDs left, pass {after_ms:.1} ms): PID map capacity \
         {entries_cap} → {entries_after}, sysinfo's {sysinfo_cap} → {sysinfo_after}; RSS \
         {rss_with} → {} KiB",
        after.scanned,
        rss_kib()
    );
}
