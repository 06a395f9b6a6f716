//! The signals that end the dashboard from outside — SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1 —
//! received as a future, so the loop ends normally and restores the terminal (the default
//! action of each would leave it raw, in the alternate screen, cursor hidden). Also SIGWINCH,
//! so a resize redraws at once whatever the input thread is doing.

use rustix::process::Signal as Sig;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Listeners for the ending signals and SIGWINCH. Registering replaces the default actions
/// for the life of the process.
pub struct Signals {
    ending: Vec<(i32, Signal)>,
    winch: Signal,
}

/// A signal the loop acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// One of the ending signals, by number (15 SIGTERM, 1 SIGHUP, 2 SIGINT, 3 SIGQUIT,
    /// 10 SIGUSR1).
    End(i32),
    /// The terminal was resized.
    Resize,
}

impl Signals {
    /// Register the listeners (inside a tokio runtime). Errors when a handler cannot be
    /// installed.
    pub fn new() -> std::io::Result<Signals> {
        let kinds = [
            (Sig::TERM.as_raw(), SignalKind::terminate()),
            (Sig::HUP.as_raw(), SignalKind::hangup()),
            (Sig::INT.as_raw(), SignalKind::interrupt()),
            (Sig::QUIT.as_raw(), SignalKind::quit()),
            (Sig::USR1.as_raw(), SignalKind::user_defined1()),
        ];
        let mut ending = Vec::new();
        for (n, k) in kinds {
            ending.push((n, signal(k)?));
        }
        Ok(Signals {
            ending,
            winch: signal(SignalKind::window_change())?,
        })
    }

    /// The next signal.
    pub async fn recv(&mut self) -> Received {
        let ending = futures::future::select_all(
            self.ending
                .iter_mut()
                .map(|(n, s)| Box::pin(async move { s.recv().await.map(|()| *n) })),
        );
        tokio::select! {
            (n, _, _) = ending => match n {
                Some(n) => Received::End(n),
                // A listener's stream ended (the runtime is shutting down): treat as SIGTERM.
                None => Received::End(Sig::TERM.as_raw()),
            },
            _ = self.winch.recv() => Received::Resize,
        }
    }
}

/// Exit code for an ending by signal `n`: 128 + n, as a shell reports a signal death.
pub fn exit_code(n: i32) -> i32 {
    128 + n
}
