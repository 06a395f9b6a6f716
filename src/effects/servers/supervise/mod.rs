//! The supervisor: watches running servers while a devtop runs, restarts the ones with
//! `restart = "on-failure"` that fail (the policy is [`crate::model::server_restart`]), stops
//! what an exited leader left behind, and rotates their logs ([`super::rotate`]).
//!
//! A server this devtop started is its child: its exit code comes from the child handle
//! (`waitpid`). One it did not start (recorded by an earlier `up`, or adopted) is watched
//! through a pidfd, which tells the exit but not the code ([`ExitKind::Unknown`]); its exit
//! is its owner's doing (a Ctrl-C in its terminal, an earlier `up`'s stop): it is reported
//! and let go, never restarted, and nothing of it is signalled. A restarted server goes through the same port check as a first start (never a
//! second copy onto a taken port: a taken port counts as a failure of that restart) and its
//! readiness is probed again.
//!
//! [`Supervisor::run`] is cancel-safe: every wait it does is either cancel-safe (child wait,
//! pidfd, timers, probes, a channel) or its outcome is kept in the supervisor, so a caller can
//! `select!` it against a stop request, then [`Supervisor::stop_all`], or
//! [`Supervisor::forget`] a server it is about to stop itself, and call `run` again. An exit
//! is handled before the first await: it is reported, counted and its decision taken at once,
//! and the stop of what the leader left behind is an owned future of the watch
//! ([`Phase::Exiting`]) that the next `run` resumes, never restarts or repeats.

mod exit;

use super::Event;
use super::down::stop_recorded;
use super::lock::StateLock;
use super::probe::Probe;
use super::spawn::{self, Started};
use super::state::{self, Recorded};
use super::up::{self, PortCheck, Running};
use crate::effects::pidfd::AsyncPidfd;
use crate::model::server::ServerSpec;
use crate::model::server_restart::{Backoff, Decision, ExitKind, Streak};
use futures::FutureExt;
use futures::future::{Fuse, LocalBoxFuture};
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// How often log sizes are checked for rotation.
const ROTATE_CHECK: Duration = Duration::from_secs(1);

/// How a watched server's exit is seen.
enum ExitWatch {
    /// devtop's child: the exit code from `waitpid`.
    Child(tokio::process::Child),
    /// Not its child: a pidfd on the leader.
    Pidfd(AsyncPidfd),
}

/// Where one watched server is.
enum Phase<'a> {
    /// Running; `probe` is set while its readiness is awaited after a restart (with the
    /// deadline, the start instant and the log offset where the run began).
    Running {
        exit: ExitWatch,
        ready_at: Option<Instant>,
        probe: Option<Box<(Probe, Instant, Instant, u64)>>,
    },
    /// Waiting to be started again at `at`.
    Backoff { at: Instant },
    /// Exited (reported, counted): `stop` stops what the leader left behind (its events go
    /// through the supervisor's channel), then `decision` applies; `text` says how it exited
    /// ("exited with code 1"), `failure` whether that counts as one.
    Exiting {
        stop: Fuse<LocalBoxFuture<'a, ()>>,
        decision: Decision,
        text: String,
        failure: bool,
    },
}

/// One watched server.
struct Watch<'a> {
    record: Recorded,
    /// True when this devtop started it (it is stopped by [`Supervisor::stop_all`]).
    ours: bool,
    streak: Streak,
    phase: Phase<'a>,
    /// When it last exited, milliseconds since the Unix epoch (0: not yet): a stop request
    /// made since then stops it while it waits to be restarted ([`super::stop_request`]).
    exited_ms: u64,
}

/// What woke [`Supervisor::run`].
enum Wake {
    Exited(usize, ExitKind),
    Ready(usize),
    NotReady(usize),
    ProbeTick,
    Restart(usize),
    Rotate,
    /// The stop after the exit of watched server `i` ended.
    Stopped(usize),
    /// An event of such a stop.
    StopEvent(Box<Event>),
}

/// Watches servers and restarts them (see the module docs).
pub struct Supervisor<'a> {
    root: &'a Path,
    lock: &'a StateLock,
    specs: &'a [ServerSpec],
    ports: &'a dyn PortCheck,
    backoff: Backoff,
    rotate_at: u64,
    watched: Vec<Watch<'a>>,
    /// Servers recorded but not watchable (the leader is gone, members remain): stopped by
    /// [`Supervisor::stop_all`] when ours.
    unwatched: Vec<(Recorded, bool)>,
    next_rotate: Instant,
    /// Events of the stops of [`Phase::Exiting`] watches.
    stop_events: (UnboundedSender<Event>, UnboundedReceiver<Event>),
}

impl<'a> Supervisor<'a> {
    /// A supervisor for servers of the project `root` configured as `specs`, writing the state
    /// file under `lock` (held as long as the supervisor lives); `ports` checks a
    /// port before a restart; `backoff` times the restarts ([`Backoff::DEFAULT`] in the
    /// product); logs are rotated at `rotate_at` bytes ([`super::rotate::ROTATE_AT`]).
    pub fn new(
        root: &'a Path,
        lock: &'a StateLock,
        specs: &'a [ServerSpec],
        ports: &'a dyn PortCheck,
        backoff: Backoff,
        rotate_at: u64,
    ) -> Supervisor<'a> {
        // Requests made to an earlier supervisor are void.
        super::stop_request::clear(root);
        Supervisor {
            root,
            lock,
            specs,
            ports,
            backoff,
            rotate_at,
            watched: Vec::new(),
            unwatched: Vec::new(),
            next_rotate: Instant::now(),
            stop_events: tokio::sync::mpsc::unbounded_channel(),
        }
    }

    /// Watches `server` (as returned by [`up::start`]); `ours` when this devtop started it
    /// (stopped by [`Supervisor::stop_all`]). One without a child handle is watched through a
    /// pidfd, verified against its recorded start time.
    pub fn add(&mut self, server: Running, ours: bool) {
        let exit = match server.child {
            Some(c) => ExitWatch::Child(c),
            None => match pin(&server.record) {
                Some(fd) => ExitWatch::Pidfd(fd),
                None => {
                    self.unwatched.push((server.record, ours));
                    return;
                }
            },
        };
        self.watched.push(Watch {
            record: server.record,
            ours,
            streak: Streak::default(),
            exited_ms: 0,
            phase: Phase::Running {
                exit,
                ready_at: server.ready_at,
                probe: None,
            },
        });
    }

    /// Stops watching `name` (before the caller stops or restarts it itself): its record when
    /// it was watched and running.
    pub fn forget(&mut self, name: &str) -> Option<Recorded> {
        self.unwatched.retain(|(r, _)| r.name != name);
        let i = self.watched.iter().position(|w| w.record.name == name)?;
        let w = self.watched.remove(i);
        let runs = matches!(w.phase, Phase::Running { .. } | Phase::Exiting { .. });
        runs.then_some(w.record)
    }

    /// Names of the servers watched (running, or waiting for a restart).
    pub fn names(&self) -> Vec<String> {
        self.watched.iter().map(|w| w.record.name.clone()).collect()
    }

    /// Names of the watched servers waiting out a restart back-off (not running now).
    pub fn waiting(&self) -> Vec<String> {
        self.watched
            .iter()
            .filter(|w| matches!(w.phase, Phase::Backoff { .. }))
            .map(|w| w.record.name.clone())
            .collect()
    }

    /// Watches until nothing is left to watch (every server exited for good: a clean exit,
    /// `restart = "no"`, or given up), reporting exits ([`Event::Exited`],
    /// [`Event::Crashed`]), restarts ([`Event::Restarting`], then [`Event::Starting`] and
    /// [`Event::Ready`] or [`Event::Failed`]) and [`Event::GaveUp`]. Cancel-safe (see the
    /// module docs). Must run inside a tokio runtime.
    pub async fn run(&mut self, report: &mut dyn FnMut(Event)) {
        while !self.watched.is_empty() {
            let wake = self.next_wake().await;
            self.handle(wake, report).await;
        }
    }

    /// Waits for the first thing to happen to any watched server.
    async fn next_wake(&mut self) -> Wake {
        let now = Instant::now();
        let rotate_at = self.next_rotate;
        let mut waits: Vec<Pin<Box<dyn std::future::Future<Output = Wake> + '_>>> = Vec::new();
        waits.push(Box::pin(async move {
            tokio::time::sleep_until(rotate_at.into()).await;
            Wake::Rotate
        }));
        let events = &mut self.stop_events.1;
        waits.push(Box::pin(async move {
            match events.recv().await {
                Some(e) => Wake::StopEvent(Box::new(e)),
                // The supervisor holds a sender: never.
                None => std::future::pending().await,
            }
        }));
        for (i, w) in self.watched.iter_mut().enumerate() {
            match &mut w.phase {
                Phase::Running { exit, probe, .. } => {
                    waits.push(Box::pin(async move {
                        match exit {
                            ExitWatch::Child(c) => match c.wait().await {
                                Ok(s) => Wake::Exited(i, exit::exit_kind(s)),
                                Err(_) => Wake::Exited(i, ExitKind::Unknown),
                            },
                            ExitWatch::Pidfd(fd) => {
                                fd.exited().await;
                                Wake::Exited(i, ExitKind::Unknown)
                            }
                        }
                    }));
                    if let Some(b) = probe {
                        let (p, deadline, _, _) = &mut **b;
                        let deadline = *deadline;
                        waits.push(Box::pin(async move {
                            if now >= deadline {
                                return Wake::NotReady(i);
                            }
                            tokio::time::sleep(super::probe::PROBE_INTERVAL).await;
                            if p.try_once().await {
                                Wake::Ready(i)
                            } else {
                                Wake::ProbeTick
                            }
                        }));
                    }
                }
                Phase::Backoff { at } => {
                    let at = *at;
                    waits.push(Box::pin(async move {
                        tokio::time::sleep_until(at.into()).await;
                        Wake::Restart(i)
                    }));
                }
                Phase::Exiting { stop, .. } => {
                    waits.push(Box::pin(async move {
                        stop.await;
                        Wake::Stopped(i)
                    }));
                }
            }
        }
        futures::future::select_all(waits).map(|(w, _, _)| w).await
    }

    async fn handle(&mut self, wake: Wake, report: &mut dyn FnMut(Event)) {
        match wake {
            Wake::ProbeTick => {}
            Wake::Rotate => {
                self.next_rotate = Instant::now() + ROTATE_CHECK;
                for w in &self.watched {
                    let log = spawn::log_path(self.root, &w.record.name);
                    let _ = super::rotate::rotate_if_large(&log, self.rotate_at);
                }
                self.honour_requests(report);
            }
            Wake::Ready(i) => {
                let w = &mut self.watched[i];
                if let Phase::Running {
                    ready_at, probe, ..
                } = &mut w.phase
                {
                    let started_at = probe.take().map_or_else(Instant::now, |p| p.2);
                    let after = started_at.elapsed();
                    *ready_at = Some(Instant::now());
                    let (name, pid) = (&w.record.name, w.record.pid);
                    let _ = state::set_ready(self.lock, self.root, name, pid, after);
                    let how = self
                        .specs
                        .iter()
                        .find(|s| s.name == w.record.name)
                        .and_then(|s| s.ready.as_ref())
                        .and_then(|r| Probe::new(r, Path::new("")).ok())
                        .map_or_else(|| "started".to_owned(), |p| p.label());
                    report(Event::Ready {
                        name: w.record.name.clone(),
                        after,
                        how,
                    });
                }
            }
            Wake::NotReady(i) => {
                let w = &mut self.watched[i];
                if let Phase::Running { probe, .. } = &mut w.phase {
                    let probe = probe.take();
                    let run = probe.as_ref().map_or(0, |b| b.3);
                    let reason = match (probe, self.specs.iter().find(|s| s.name == w.record.name))
                    {
                        (Some(b), Some(s)) => format!(
                            "not ready after {} ({}); left running",
                            humantime::format_duration(s.ready_timeout),
                            b.0.label()
                        ),
                        _ => "not ready in time; left running".to_owned(),
                    };
                    let error = Some(reason.clone());
                    let _ = state::note(self.lock, self.root, &w.record.name, None, error);
                    report(Event::Failed {
                        name: w.record.name.clone(),
                        reason,
                        last_lines: spawn::last_lines(
                            &spawn::log_path(self.root, &w.record.name),
                            run,
                            up::FAILED_LINES,
                        ),
                    });
                }
            }
            Wake::Exited(i, how) => self.exited(i, how, report),
            Wake::Stopped(i) => self.stopped(i, report),
            Wake::StopEvent(e) => report(*e),
            Wake::Restart(i) => {
                if !self.requested_stop(i, report) {
                    self.restart(i, report);
                }
            }
        }
    }

    /// Starts watched server `i` again (its back-off is over). A failed start counts as a
    /// failure of the streak.
    fn restart(&mut self, i: usize, report: &mut dyn FnMut(Event)) {
        let name = self.watched[i].record.name.clone();
        let Some(spec) = self.specs.iter().find(|s| s.name == name) else {
            self.watched.remove(i);
            return;
        };
        let started = up::launch(self.root, spec, self.ports).and_then(|s: Started| {
            state::record(self.lock, self.root, s.record.clone())
                .map(|()| s)
                .map_err(|e| format!("cannot record it in the state file: {e}"))
        });
        let started = match started {
            Ok(s) => s,
            Err(reason) => {
                report(Event::Failed {
                    name: name.clone(),
                    reason: reason.clone(),
                    last_lines: Vec::new(),
                });
                let w = &mut self.watched[i];
                let decision =
                    w.streak
                        .on_exit(spec.restart, ExitKind::Unknown, None, &self.backoff);
                self.apply_decision(i, decision, &reason, true, report);
                return;
            }
        };
        let Started {
            record,
            child,
            log,
            log_start,
        } = started;
        report(Event::Starting {
            name: name.clone(),
            pid: record.pid,
        });
        let now = Instant::now();
        let probe = spec
            .ready
            .as_ref()
            .and_then(|r| Probe::new(r, &log).ok())
            .map(|p| {
                let p = p.from_offset(log_start);
                Box::new((p, now + spec.ready_timeout, now, log_start))
            });
        let no_probe = probe.is_none();
        let w = &mut self.watched[i];
        w.record = record;
        w.phase = Phase::Running {
            exit: ExitWatch::Child(child),
            ready_at: None,
            probe,
        };
        if no_probe {
            if let Phase::Running { ready_at, .. } = &mut w.phase {
                *ready_at = Some(now);
            }
            report(Event::Ready {
                name,
                after: Duration::ZERO,
                how: "started".to_owned(),
            });
        }
    }

    /// Stops, in reverse start order, every server this devtop started (watched or not),
    /// each with its stop signal and grace; forgets every server. Returns the names left
    /// running because this devtop did not start them (recorded by an earlier `up`, or
    /// adopted), and whether every stopped process ended.
    pub async fn stop_all(&mut self, report: &mut dyn FnMut(Event)) -> (Vec<String>, bool) {
        let mut ours = Vec::new();
        let mut left = Vec::new();
        while let Ok(e) = self.stop_events.1.try_recv() {
            report(e);
        }
        for w in self.watched.drain(..) {
            // An exit's stop under way is dropped and done again here, to its end.
            let running = matches!(w.phase, Phase::Running { .. } | Phase::Exiting { .. });
            match (w.ours, running) {
                (true, true) => ours.push(w.record),
                (false, _) => left.push(w.record.name),
                (true, false) => {}
            }
        }
        for (r, mine) in self.unwatched.drain(..) {
            if mine {
                ours.push(r);
            } else {
                left.push(r.name);
            }
        }
        let mut all = true;
        for r in ours.iter().rev() {
            all &= stop_recorded(self.root, self.lock, r, self.specs, report)
                .await
                .unwrap_or(false);
        }
        (left, all)
    }
}

/// A pidfd on `record`'s leader, only while the PID still names it (same start time).
fn pin(record: &Recorded) -> Option<AsyncPidfd> {
    let fd = AsyncPidfd::open(record.pid).ok()?;
    let id = crate::effects::signal::read_identity(record.pid).ok()?;
    (id.start_ticks == record.start_ticks && !id.exited()).then_some(fd)
}
