//! Soak: devtop's real collectors (processes + memory + CPU through `collect::tasks`, the
//! database health collector through `collect::databases`) at an accelerated refresh while
//! processes start and die all the time and one of three database environments flaps.
//! Prints RSS, open fds and buffer sizes of this process every report interval, then whether
//! they stayed flat: RSS within ±10 % of the first figure after warm-up, open fds not growing
//! (the last third's highest count within 10 % or 2 of the first third's). Exit status 0 when flat,
//! 1 when not, 2 on bad input.
//!
//! Run through `benches/soak.sh` (which builds it with `--release`), or directly:
//! `cargo bench --bench soak`. Settings (environment):
//! - `DEVTOP_SOAK_CYCLES` (86400): collector passes to run; one pass = one process snapshot.
//! - `DEVTOP_SOAK_HZ` (20): passes per second asked of the collectors (refresh 1/HZ s; the
//!   database probes run at the same interval while up, with devtop's own back-off when down).
//! - `DEVTOP_SOAK_REPORT` (1200): passes between two report lines.
//! - `DEVTOP_SOAK_WARMUP` (2): report lines ignored before the reference figure is taken.
//! - `DEVTOP_SOAK_CHURN` (8): churn children started per second; each lives 0.1–3 s.
//! - `DEVTOP_SOAK_FLAP_S` (30): seconds per phase of the flapping environment.
//! - `DEVTOP_SOAK_PG` / `DEVTOP_SOAK_MYSQL`: URLs of the two steady environments (default
//!   the local servers, `postgresql://postgres@127.0.0.1:5432/postgres` and
//!   `mysql://root@127.0.0.1:3306/test`).
//!
//! Three environments: `pg` and `mariadb` straight to the local servers, `flap` through a TCP
//! listener of this program on a free port that cycles through three phases: forwarding to
//! the PostgreSQL server (up), no listener (connection refused), and a black hole (accepts,
//! never answers).
//!
//! Churn children are this same binary started as `node devtop-soak-churn-<pid>` (argv[0]
//! `node`, so the process collector matches them like a dev tool); each asks the kernel for
//! SIGKILL when this program dies (PR_SET_PDEATHSIG) and is killed by PID and reaped on exit.

use devtop::collect::environments::EnvSpec;
use devtop::collect::processes::Selection;
use devtop::collect::{databases, tasks};
use devtop::config::DEFAULT_MATCH;
use devtop::model::database::DbStatus;
use devtop::model::memory::MemoryThresholds;
use devtop::model::suspects::SuspectRules;
use devtop::model::tree::Scope;
use log::{LevelFilter, Log, Metadata, Record};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Argument that turns this binary into a churn child: `--churn-child <ms> <marker>`.
const CHILD_FLAG: &str = "--churn-child";

/// Log lines emitted by devtop's code during the soak (each also goes to tui-logger).
static LOG_LINES: AtomicU64 = AtomicU64::new(0);

/// Counts records and hands them to tui-logger's buffer, as devtop's TUI logger does.
struct Counting;

impl Log for Counting {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.level() <= log::Level::Info
    }
    fn log(&self, r: &Record<'_>) {
        if self.enabled(r.metadata()) {
            LOG_LINES.fetch_add(1, Ordering::Relaxed);
            tui_logger::Drain::new().log(r);
        }
    }
    fn flush(&self) {}
}

static LOGGER: Counting = Counting;

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("{name}={v:?}: expected a positive whole number");
                std::process::exit(2);
            }
        },
    }
}

/// Resident set size of this process in bytes (`VmRSS` of /proc/self/status).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Open file descriptors of this process (entries of /proc/self/fd).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Threads of this process (`Threads` of /proc/self/status).
fn threads() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Threads:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn spec(name: &str, raw: &str) -> EnvSpec {
    let url = devtop::db::url::parse(raw, Path::new(".")).map_err(|e| e.to_string());
    if let Err(e) = &url {
        eprintln!("{name}: {e}");
        std::process::exit(2);
    }
    EnvSpec {
        name: name.to_owned(),
        url_env: format!("DEVTOP_SOAK_{}", name.to_uppercase()),
        url,
        config_error: false,
        source: Some("environment".to_owned()),
    }
}

/// The phase of the flapping environment.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Forward,
    Refused,
    BlackHole,
}

/// Cycles the flapping listener through its phases until `cancel`; `phase_log` counts changes.
async fn flapper(port: u16, target: String, phase_s: u64, cancel: CancellationToken) {
    let phases = [Phase::Forward, Phase::Refused, Phase::BlackHole];
    let mut i = 0usize;
    loop {
        let phase = phases[i % phases.len()];
        i += 1;
        let until = tokio::time::sleep(Duration::from_secs(phase_s));
        tokio::pin!(until);
        if phase == Phase::Refused {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = &mut until => continue,
            }
        }
        // The port can be briefly busy right after the previous phase's sockets closed:
        // retry within the phase rather than lose it.
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => break Some(l),
                Err(e) => {
                    eprintln!("flap: cannot listen on {port} yet: {e}");
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = &mut until => break None,
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
        };
        let Some(listener) = listener else { continue };
        // Connections of this phase end with it (dropped when the phase's token is cancelled).
        let phase_cancel = cancel.child_token();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => { phase_cancel.cancel(); return; }
                _ = &mut until => { phase_cancel.cancel(); break; }
                acc = listener.accept() => {
                    let Ok((inbound, _)) = acc else { continue };
                    let pc = phase_cancel.clone();
                    let target = target.clone();
                    tokio::spawn(async move {
                        if phase == Phase::Forward {
                            if let Ok(outbound) = TcpStream::connect(&target).await {
                                let (mut a, mut b) = (inbound, outbound);
                                tokio::select! {
                                    _ = pc.cancelled() => {}
                                    _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                                }
                                let _ = a.shutdown().await;
                            }
                        } else {
                            // Black hole: hold the connection open, read nothing, say nothing.
                            pc.cancelled().await;
                            drop(inbound);
                        }
                    });
                }
            }
        }
    }
}

/// The churn children alive, each with the instant it is due to be killed.
struct Churn {
    children: Vec<(Child, Instant)>,
    started: u64,
    exe: std::path::PathBuf,
    marker: String,
    /// The soak's project root: children run there, so project scope shows them.
    cwd: std::path::PathBuf,
    seed: u64,
}

impl Churn {
    fn next_rand(&mut self) -> u64 {
        // xorshift64: the lifetimes need to vary, not to be unpredictable.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    /// Start one child that exits by itself after 0.1–3 s, or is killed at twice that.
    fn start_one(&mut self) {
        let life_ms = 100 + self.next_rand() % 2900;
        let spawned = Command::new(&self.exe)
            .arg0("node")
            .args([CHILD_FLAG, &life_ms.to_string(), &self.marker])
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(c) => {
                self.started += 1;
                let due = Instant::now() + Duration::from_millis(2 * life_ms + 500);
                self.children.push((c, due));
            }
            Err(e) => eprintln!("churn: cannot start a child: {e}"),
        }
    }

    /// Reap children that exited; kill (by PID) and reap those past their due time.
    fn reap(&mut self) {
        let now = Instant::now();
        self.children.retain_mut(|(c, due)| match c.try_wait() {
            Ok(Some(_)) => false,
            _ if now >= *due => {
                let _ = c.kill();
                let _ = c.wait();
                false
            }
            _ => true,
        });
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        for (c, _) in &mut self.children {
            let _ = c.kill();
        }
        for (c, _) in &mut self.children {
            let _ = c.wait();
        }
    }
}

fn churn_child(args: &[String]) -> ! {
    // Die with the soak, whatever ends it.
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let ms = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000u64);
    std::thread::sleep(Duration::from_millis(ms));
    std::process::exit(0);
}

/// A free port below the kernel's ephemeral range (32768–60999 by default), so that no
/// outgoing connection takes it while the flapping listener is in its "refused" phase.
fn free_port() -> u16 {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    for i in 0..2_000u16 {
        let port = 20_000 + (start - 20_000 + i) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    eprintln!("cannot find a free port in 20000..32000");
    std::process::exit(2);
}

/// One report line's figures.
#[derive(Clone, Copy)]
struct Figures {
    rss: u64,
    fds: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(CHILD_FLAG) {
        churn_child(&args);
    }
    // `cargo test --benches` runs bench binaries once as tests: keep that short.
    let test_mode = !args.iter().any(|a| a == "--bench");
    let cycles = env_num("DEVTOP_SOAK_CYCLES", if test_mode { 40 } else { 86_400 });
    let hz = env_num("DEVTOP_SOAK_HZ", 20);
    let report = env_num("DEVTOP_SOAK_REPORT", if test_mode { 20 } else { 1200 });
    let warmup = env_num("DEVTOP_SOAK_WARMUP", 2) as usize;
    let churn_per_s = env_num("DEVTOP_SOAK_CHURN", 8);
    let flap_s = env_num("DEVTOP_SOAK_FLAP_S", 30);
    let pg = std::env::var("DEVTOP_SOAK_PG")
        .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/postgres".to_owned());
    let my = std::env::var("DEVTOP_SOAK_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned());

    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
        tui_logger::set_default_level(LevelFilter::Info);
    }

    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            std::process::exit(2);
        }
    };
    let flat = rt.block_on(soak(SoakArgs {
        cycles,
        hz,
        report,
        warmup,
        churn_per_s,
        flap_s,
        pg,
        my,
    }));
    rt.shutdown_timeout(Duration::from_secs(2));
    std::process::exit(if flat { 0 } else { 1 });
}

struct SoakArgs {
    cycles: u64,
    hz: u64,
    report: u64,
    warmup: usize,
    churn_per_s: u64,
    flap_s: u64,
    pg: String,
    my: String,
}

async fn soak(a: SoakArgs) -> bool {
    let cancel = CancellationToken::new();
    let refresh = Duration::from_secs_f64(1.0 / a.hz as f64);
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot create a temp dir: {e}");
            std::process::exit(2);
        }
    };

    // The flapping environment: PostgreSQL through a listener of ours on a free port.
    let flap_port = free_port();
    let pg_target = url::Url::parse(&a.pg)
        .ok()
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or("127.0.0.1"),
                u.port().unwrap_or(5432)
            )
        })
        .unwrap_or_else(|| "127.0.0.1:5432".to_owned());
    let mut flap_url = match url::Url::parse(&a.pg) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("DEVTOP_SOAK_PG: {e}");
            std::process::exit(2);
        }
    };
    let _ = flap_url.set_port(Some(flap_port));
    tokio::spawn(flapper(flap_port, pg_target, a.flap_s, cancel.clone()));

    let specs = vec![
        spec("pg", &a.pg),
        spec("mariadb", &a.my),
        spec("flap", flap_url.as_str()),
    ];
    let mut dbs = databases::spawn(specs, refresh, cancel.clone());

    let selection = Selection {
        match_words: DEFAULT_MATCH.iter().map(|s| (*s).to_owned()).collect(),
        // Project scope (the churn children's directory): what is shown is the soak's own
        // churn, whatever else runs on the machine (every PID is still discovered).
        scope: Scope::Project,
        root: dir.path().to_owned(),
        rules: SuspectRules::default(),
        show_own_children: true,
    };
    let mut collectors = match tasks::spawn(
        selection,
        MemoryThresholds::default(),
        refresh,
        cancel.clone(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot initialise sysinfo: {e}");
            std::process::exit(2);
        }
    };

    // Churn on a thread of its own: spawn and reap at a steady rate until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let churn = Arc::new(Mutex::new(Churn {
        children: Vec::new(),
        started: 0,
        exe: std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into()),
        marker: format!("devtop-soak-churn-{}", std::process::id()),
        cwd: dir.path().to_owned(),
        seed: 0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id()),
    }));
    let churn_thread = {
        let (stop, churn) = (stop.clone(), churn.clone());
        let every = Duration::from_secs_f64(1.0 / a.churn_per_s as f64);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(mut c) = churn.lock() {
                    c.reap();
                    c.start_one();
                }
                std::thread::sleep(every);
            }
            if let Ok(mut c) = churn.lock() {
                c.children.iter_mut().for_each(|(ch, _)| {
                    let _ = ch.kill();
                    let _ = ch.wait();
                });
                c.children.clear();
            }
        })
    };

    let mut sigterm =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    let t0 = Instant::now();
    let mut passes = 0u64;
    let mut figures: Vec<Figures> = Vec::new();
    let mut flips = 0u64;
    let mut last_flap = None;
    let mut interrupted = false;
    println!(
        "soak: {} passes at {} Hz, report every {} passes, churn {}/s, flap phase {} s (port {})",
        a.cycles, a.hz, a.report, a.churn_per_s, a.flap_s, flap_port
    );
    println!(
        "{:>7} {:>7} {:>6} {:>8} {:>4} {:>4} {:>6} {:>6} {:>7} {:>5} {:>4} {:>8} {:>20}",
        "pass",
        "t_s",
        "rate",
        "rss_kb",
        "fds",
        "thr",
        "shown",
        "logs",
        "churned",
        "alive",
        "hist",
        "flips",
        "pg/mariadb/flap"
    );
    let mut last_t = 0.0f64;
    let mut last_p = 0u64;
    while passes < a.cycles {
        tokio::select! {
            r = collectors.processes.changed() => if r.is_err() { break },
            _ = async { match sigterm.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => { interrupted = true; break }
            _ = async { match sigint.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => { interrupted = true; break }
        }
        passes += 1;
        // What the TUI does before each draw: move captured log records into the buffer.
        tui_logger::move_events();
        let db = dbs.borrow_and_update().clone();
        let flap_status = db.envs.get(2).map(|e| e.status);
        if flap_status != last_flap {
            if last_flap.is_some() {
                flips += 1;
            }
            last_flap = flap_status;
        }
        if passes.is_multiple_of(a.report) || passes == a.cycles {
            let snap = collectors.processes.borrow().clone();
            let mem = collectors.memory.borrow().clone();
            let t = t0.elapsed().as_secs_f64();
            let rate = (passes - last_p) as f64 / (t - last_t).max(1e-9);
            last_t = t;
            last_p = passes;
            let f = Figures {
                rss: rss_bytes(),
                fds: open_fds(),
            };
            figures.push(f);
            let (alive, churned) = churn
                .lock()
                .map(|c| (c.children.len(), c.started))
                .unwrap_or((0, 0));
            let hist = db
                .envs
                .iter()
                .map(|e| e.history.len())
                .max()
                .unwrap_or(0)
                .max(mem.sparkline.len());
            let states: Vec<&str> = db
                .envs
                .iter()
                .map(|e| match e.status {
                    DbStatus::Up => "up",
                    DbStatus::Down => "down",
                    DbStatus::Unconfigured => "unconf",
                    _ => "wait",
                })
                .collect();
            println!(
                "{:>7} {:>7.0} {:>6.1} {:>8} {:>4} {:>4} {:>6} {:>6} {:>7} {:>5} {:>4} {:>8} {:>20}",
                passes,
                t,
                rate,
                f.rss / 1024,
                f.fds,
                threads(),
                snap.processes.len(),
                LOG_LINES.load(Ordering::Relaxed),
                churned,
                alive,
                hist,
                flips,
                states.join("/")
            );
        }
    }
    cancel.cancel();
    stop.store(true, Ordering::Relaxed);
    let _ = churn_thread.join();
    drop(churn);
    let _ = dbs.changed().await.ok();
    verdict(&figures, a.warmup, passes, t0.elapsed(), interrupted)
}

/// Prints the summary and says whether RSS and fds stayed within ±10 % after warm-up.
fn verdict(
    figs: &[Figures],
    warmup: usize,
    passes: u64,
    took: Duration,
    interrupted: bool,
) -> bool {
    println!(
        "soak: {passes} passes in {:.0} s ({:.1} passes/s){}",
        took.as_secs_f64(),
        passes as f64 / took.as_secs_f64().max(1e-9),
        if interrupted { ", interrupted" } else { "" }
    );
    let Some(reference) = figs.get(warmup.min(figs.len().saturating_sub(1))) else {
        println!("soak: no report line, nothing to judge");
        return false;
    };
    let after = &figs[warmup.min(figs.len() - 1)..];
    let (rmin, rmax) = after
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), f| (lo.min(f.rss), hi.max(f.rss)));
    let (fmin, fmax) = after.iter().fold((usize::MAX, 0), |(lo, hi), f| {
        (lo.min(f.fds), hi.max(f.fds))
    });
    let pct = |v: f64, r: f64| (v - r) / r.max(1.0) * 100.0;
    let r = reference.rss as f64;
    let rss_flat = pct(rmax as f64, r) <= 10.0 && pct(rmin as f64, r) >= -10.0;
    // Open fds move with the database pools' connections and the churn children's pipes, so one
    // reading is a poor reference: a leak is growth, so compare the last third's highest count
    // with the first third's (after warm-up), allowing 10 % or 2 for a connection being replaced.
    let third = (after.len() / 3).max(1);
    let top = |fs: &[Figures]| fs.iter().map(|f| f.fds).max().unwrap_or(0) as f64;
    let (early, late) = (top(&after[..third]), top(&after[after.len() - third..]));
    let fd_flat = late - early <= (early * 0.1).max(2.0);
    println!(
        "soak: after warm-up ({} report lines) RSS {}..{} KiB ({:+.1} %..{:+.1} % of {} KiB): {}; fds {}..{}, highest {} in the first third and {} in the last: {}",
        warmup,
        rmin / 1024,
        rmax / 1024,
        pct(rmin as f64, r),
        pct(rmax as f64, r),
        reference.rss / 1024,
        if rss_flat { "flat" } else { "NOT flat" },
        fmin,
        fmax,
        early,
        late,
        if fd_flat { "flat" } else { "NOT flat" },
    );
    rss_flat && fd_flat
}
