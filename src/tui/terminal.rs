//! Terminal init and restore. One restore path for every ending: quit, error, panic (a panic
//! hook restores before the message is printed), and the signals that end devtop (SIGTERM,
//! SIGHUP, SIGINT, SIGQUIT, SIGUSR1 become an action that ends the loop normally, see `app`),
//! and a terminal that went away (restoring what can be restored; writes to it just fail).

use crossterm::cursor::Show;
use crossterm::event::DisableMouseCapture;
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::sync::Once;

/// The terminal devtop draws on.
pub type Term = Terminal<CrosstermBackend<Stdout>>;

static PANIC_HOOK: Once = Once::new();

/// Mouse reporting for clicks and the wheel only: X11 button tracking (`?1000h`) in SGR
/// encoding (`?1006h`). Unlike crossterm's `EnableMouseCapture` it leaves out any-motion
/// tracking (`?1003h`), so a pointer passing over the terminal sends nothing and wakes nothing.
/// [`DisableMouseCapture`] (in [`restore`]) turns every mode off again.
pub struct EnableMouseClicks;

impl crossterm::Command for EnableMouseClicks {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x1b[?1000h\x1b[?1006h")
    }
}

/// Raw mode, the alternate screen and, when `mouse`, mouse reporting ([`EnableMouseClicks`]). Installs (once) a panic
/// hook that restores the terminal first. On error the terminal is restored again.
pub fn init(mouse: bool) -> std::io::Result<Term> {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    let set_up = || -> std::io::Result<Term> {
        enable_raw_mode()?;
        execute!(stdout(), EnterAlternateScreen)?;
        if mouse {
            execute!(stdout(), EnableMouseClicks)?;
        }
        Terminal::new(CrosstermBackend::new(stdout()))
    };
    set_up().inspect_err(|_| restore())
}

/// Mouse capture off, main screen, cursor shown, raw mode off. Safe to call more than once and
/// on a terminal that is gone (each step's error is ignored so the next one still runs).
pub fn restore() {
    let mut out = stdout();
    let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped, so every exit path (return, `?`, unwinding) restores it.
pub struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Whether the dashboard can run here: stdout must be a terminal, and keys must be readable —
/// stdin a terminal, or a controlling terminal behind `/dev/tty` (crossterm reads from one of
/// the two). Errors are one-line messages for stderr (exit 2, bad input): a pipe or file on
/// stdout, or no controlling terminal (`setsid devtop < /dev/null`, a service, `ssh -T`).
pub fn check_usable() -> Result<(), String> {
    use std::io::IsTerminal;
    const SCRIPTS: &str = "for scripts use `devtop status [--json]`";
    if !std::io::stdout().is_terminal() {
        return Err(format!("the dashboard needs a terminal; {SCRIPTS}"));
    }
    if std::io::stdin().is_terminal() {
        return Ok(());
    }
    match std::fs::File::open("/dev/tty") {
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "the dashboard needs a controlling terminal to read keys from, and there is none \
             (stdin is not a terminal; /dev/tty: {e}); run it from a terminal, or {SCRIPTS}"
        )),
    }
}
