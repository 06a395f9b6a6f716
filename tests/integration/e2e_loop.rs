//! The real event loop (`run_loop`) driven by a scripted event stream into ratatui's
//! TestBackend, on a temp project whose collectors tick once an hour: a key must redraw without
//! waiting for a collector tick. The scripted stream keeps the first waker it is given and
//! wakes only that one, as crossterm's `EventStream` does (crossterm issue 793) — a loop that
//! polls it with `now_or_never()` would never see the key.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use devtop::cli::{Common, ScopeArg};
use devtop::tui::app::{Ending, run_loop};
use devtop::tui::input::Input;
use futures::Stream;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Events pushed by the test; like crossterm, remembers the waker of the first `Pending` poll
/// after each wake and wakes only that one.
#[derive(Clone, Default)]
struct Script(Arc<Mutex<Queue>>);

/// Queued events (`None` ends the stream) and the remembered waker.
type Queue = (VecDeque<Option<Input>>, Option<Waker>);

impl Script {
    fn push(&self, ev: Option<Input>) {
        let mut g = self.0.lock().expect("script lock");
        g.0.push_back(ev);
        if let Some(w) = g.1.take() {
            w.wake();
        }
    }

    fn key(&self, c: KeyCode) {
        self.push(Some(Input::Event(Event::Key(KeyEvent::new(
            c,
            KeyModifiers::NONE,
        )))));
    }
}

impl Stream for Script {
    type Item = Input;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Input>> {
        let mut g = self.0.lock().expect("script lock");
        match g.0.pop_front() {
            Some(ev) => Poll::Ready(ev),
            None => {
                if g.1.is_none() {
                    g.1 = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

/// TestBackend that publishes the screen text on every flush, so the test reads it while the
/// loop owns the terminal.
struct Recording {
    inner: TestBackend,
    screen: Arc<Mutex<String>>,
}

impl Backend for Recording {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let buf = self.inner.buffer();
        let mut text = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                text.push_str(buf[(x, y)].symbol());
            }
            text.push('\n');
        }
        *self.screen.lock().expect("screen lock") = text;
        self.inner.flush()
    }
}

/// Polls the recorded screen until `cond` holds; panics with the screen after `limit`.
async fn wait_for(
    screen: &Mutex<String>,
    limit: Duration,
    what: &str,
    cond: impl Fn(&str) -> bool,
) {
    let start = Instant::now();
    loop {
        let text = screen.lock().expect("screen lock").clone();
        if cond(&text) {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}; screen:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn setup(dir: &std::path::Path) -> devtop::setup::Setup {
    let common = Common {
        project: Some(dir.to_owned()),
        scope: Some(ScopeArg::Project),
        ..Common::default()
    };
    let mut setup = devtop::setup::resolve(&common).expect("setup");
    // Collectors publish once at start, then not again during the test.
    setup.config.refresh = Duration::from_secs(3600);
    setup.config.db_interval = Duration::from_secs(3600);
    setup
}

fn run(script: Script, test: impl AsyncFnOnce(&Script, &Mutex<String>)) -> Ending {
    let dir = tempfile::tempdir().expect("temp dir");
    let setup = setup(dir.path());
    let screen = Arc::new(Mutex::new(String::new()));
    let backend = Recording {
        inner: TestBackend::new(100, 30),
        screen: screen.clone(),
    };
    let mut term = Terminal::new(backend).expect("terminal");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let driver = script.clone();
        let looped = run_loop(&mut term, setup, script, None);
        let test = async {
            test(&driver, &screen).await;
            std::future::pending::<()>().await;
        };
        tokio::select! {
            r = looped => r.expect("loop ended without error"),
            () = test => unreachable!(),
        }
    })
}

#[test]
fn a_key_redraws_without_waiting_for_a_collector_tick() {
    let ending = run(Script::default(), async |s, screen| {
        let limit = Duration::from_secs(30);
        wait_for(screen, limit, "the first frame", |t| {
            t.contains("Processes")
        })
        .await;
        for _ in 0..3 {
            s.key(KeyCode::Char('2'));
            wait_for(screen, limit, "screen 2", |t| t.contains("Migrations")).await;
            s.key(KeyCode::Char('1'));
            wait_for(screen, limit, "screen 1", |t| t.contains("Memory")).await;
        }
        s.key(KeyCode::Char('q'));
    });
    assert_eq!(ending, Ending::Quit);
}

#[test]
fn the_terminal_going_away_ends_the_loop() {
    let ending = run(Script::default(), async |s, screen| {
        wait_for(screen, Duration::from_secs(30), "the first frame", |t| {
            t.contains("Processes")
        })
        .await;
        s.push(Some(Input::Closed("the terminal hung up".into())));
    });
    assert_eq!(ending, Ending::TerminalGone("the terminal hung up".into()));
    assert_eq!(ending.exit_code(), 129);
    let ending = run(Script::default(), async |s, _| s.push(None));
    assert!(matches!(ending, Ending::TerminalGone(_)), "{ending:?}");
}
