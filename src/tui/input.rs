//! Terminal input on a thread of its own, handed to the event loop through a channel.
//!
//! Why not crossterm's `EventStream`: its waker thread keeps the first waker it was given (a
//! `now_or_never()` poll leaves a no-op one: keys then wait for the next tick, crossterm issue
//! 793), and when the terminal goes away its reader loops on `read() = 0` (EOF) or EIO forever,
//! holding the global reader lock — the loop that polls it then blocks and ignores SIGTERM.
//!
//! Here one thread blocks in `poll(2)` on the terminal and a wake pipe (no CPU while idle). A
//! hang-up (`POLLHUP`/`POLLERR`/`POLLNVAL`) or a readable terminal with no bytes waiting (end of
//! file) ends the thread with [`Input::Closed`]; only when bytes are waiting is crossterm asked to
//! parse them, so crossterm never reads from a terminal that is gone.

use crossterm::event::Event;
use futures::Stream;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use std::fs::File;
use std::io::IsTerminal;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the input thread reports.
#[derive(Debug)]
pub enum Input {
    /// A key, mouse, resize, focus or paste event.
    Event(Event),
    /// The terminal went away (hang-up, end of file, read error): the reason, for the log.
    Closed(String),
}

/// Terminal input as a stream; stops its thread when dropped.
pub struct InputStream {
    rx: mpsc::UnboundedReceiver<Input>,
    /// Write end of the wake pipe: closing it (on drop) wakes and ends the thread.
    _wake: OwnedFd,
}

impl Stream for InputStream {
    type Item = Input;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Input>> {
        self.rx.poll_recv(cx)
    }
}

/// The terminal crossterm reads: standard input when it is a terminal, else `/dev/tty` (the
/// same choice crossterm makes).
fn open_tty() -> std::io::Result<OwnedFd> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return stdin.as_fd().try_clone_to_owned();
    }
    Ok(File::open("/dev/tty")?.into())
}

/// Start the input thread. Errors when the terminal or the wake pipe cannot be opened.
pub fn spawn() -> std::io::Result<InputStream> {
    let tty = open_tty()?;
    let (wake_r, wake_w) = rustix::pipe::pipe()?;
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("devtop-input".into())
        .spawn(move || read_loop(tty.as_fd(), wake_r.as_fd(), &tx))?;
    Ok(InputStream { rx, _wake: wake_w })
}

/// Why the terminal cannot be read any more, if it cannot: hang-up, error, or readable with
/// nothing to read (end of file). `timeout` None blocks until something happens.
enum Ready {
    Bytes,
    Nothing,
    Stop,
    Gone(String),
}

fn wait(tty: BorrowedFd<'_>, wake: BorrowedFd<'_>, timeout: Option<Duration>) -> Ready {
    let ts = timeout.and_then(|t| rustix::event::Timespec::try_from(t).ok());
    let mut fds = [
        PollFd::new(&tty, PollFlags::IN),
        PollFd::new(&wake, PollFlags::IN),
    ];
    match poll(&mut fds, ts.as_ref()) {
        Ok(_) => {}
        Err(Errno::INTR) => return Ready::Nothing,
        Err(e) => return Ready::Gone(format!("cannot poll the terminal: {e}")),
    }
    if !fds[1].revents().is_empty() {
        return Ready::Stop;
    }
    let rev = fds[0].revents();
    if rev.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
        return Ready::Gone("the terminal hung up".into());
    }
    if !rev.contains(PollFlags::IN) {
        return Ready::Nothing;
    }
    match rustix::io::ioctl_fionread(tty) {
        Ok(0) => Ready::Gone("the terminal's input ended".into()),
        Ok(_) => Ready::Bytes,
        Err(e) => Ready::Gone(format!("cannot read the terminal: {e}")),
    }
}

fn read_loop(tty: BorrowedFd<'_>, wake: BorrowedFd<'_>, tx: &mpsc::UnboundedSender<Input>) {
    loop {
        match wait(tty, wake, None) {
            Ready::Nothing => continue,
            Ready::Stop => return,
            Ready::Gone(why) => {
                let _ = tx.send(Input::Closed(why));
                return;
            }
            Ready::Bytes => {}
        }
        // Bytes are waiting: crossterm parses them (one read may hold several events, which
        // crossterm queues; drain the queue while the terminal is still there).
        loop {
            match crossterm::event::read() {
                Ok(ev) => {
                    if tx.send(Input::Event(ev)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Input::Closed(format!("cannot read the terminal: {e}")));
                    return;
                }
            }
            match wait(tty, wake, Some(Duration::ZERO)) {
                Ready::Stop => return,
                Ready::Gone(why) => {
                    let _ = tx.send(Input::Closed(why));
                    return;
                }
                Ready::Bytes | Ready::Nothing => {}
            }
            if !crossterm::event::poll(Duration::ZERO).unwrap_or(false) {
                break;
            }
        }
    }
}
