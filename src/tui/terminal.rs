//! Terminal init and restore. One restore path for quit, error and panic: `ratatui::init`
//! installs a panic hook that restores the terminal before the panic message is printed;
//! SIGTERM and SIGHUP become an action that ends the loop normally (see `app`).

use ratatui::DefaultTerminal;

/// Enter the alternate screen and raw mode.
pub fn init() -> std::io::Result<DefaultTerminal> {
    ratatui::try_init()
}

/// Leave raw mode and the alternate screen; safe to call more than once.
pub fn restore() {
    ratatui::restore();
}

/// Restores the terminal when dropped, so every exit path (return, `?`, unwinding) restores it.
pub struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        restore();
    }
}
