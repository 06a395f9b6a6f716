//! SIGINT, SIGTERM and SIGHUP for the foreground headless commands (`devtop up`, `devtop
//! logs`): the first to arrive ends them.

/// SIGINT, SIGTERM and SIGHUP, watched from [`Interrupts::watch`] on (so a signal that comes
/// while the first server starts is not missed).
pub(crate) struct Interrupts {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl Interrupts {
    pub(crate) fn watch() -> Interrupts {
        use tokio::signal::unix::{SignalKind, signal};
        Interrupts {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// Resolves with the first of them to arrive; never when none could be watched.
    pub(crate) async fn next(&mut self) -> crate::model::server::StopSignal {
        use crate::model::server::StopSignal;
        let name = tokio::select! {
            Some(_) = async { self.int.as_mut()?.recv().await } => "SIGINT",
            Some(_) = async { self.term.as_mut()?.recv().await } => "SIGTERM",
            Some(_) = async { self.hup.as_mut()?.recv().await } => "SIGHUP",
            else => std::future::pending().await,
        };
        StopSignal::parse(name).unwrap_or(StopSignal::TERM)
    }
}
