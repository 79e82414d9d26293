//! Ctrl-C, SIGTERM and SIGHUP. Every long command installs [`Shutdown`] first; on the first signal it stops in
//! order (calls in flight finish, the resume file, checkpoints and on-failure records are written, the services it
//! started are stopped) and the process exits with 128 + the signal's number: 130 for Ctrl-C (SIGINT), 143 for
//! SIGTERM, 129 for SIGHUP. A second signal while stopping exits at once with the same rule; services still die
//! with the process (see `stream2neptune_local::services`).

use std::fmt;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::terminal;

/// A signal that stops a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C in the terminal.
    Interrupt,
    /// SIGTERM: `kill`, `local down`, a service manager.
    Terminate,
    /// SIGHUP: the terminal was closed.
    Hangup,
}

impl Signal {
    /// The signal's number.
    pub fn number(self) -> u8 {
        match self {
            Signal::Hangup => 1,
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }

    /// The process's exit code after stopping on this signal: 128 + its number, as a shell reports a process the
    /// signal killed.
    pub fn exit_code(self) -> u8 {
        128 + self.number()
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "Ctrl-C (SIGINT)",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        })
    }
}

/// A command stopped on a signal after saving what it had to; `message` says what was saved and how to go on.
#[derive(Debug, thiserror::Error)]
#[error("stopped by {signal}: {message}")]
pub struct Interrupted {
    /// The signal.
    pub signal: Signal,
    /// What was saved or stopped, and what to run next.
    pub message: String,
}

/// The process's shutdown request: cloned into every part of a command that must stop on a signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    received: watch::Receiver<Option<Signal>>,
}

impl Shutdown {
    /// Installs the handlers of SIGINT, SIGTERM and SIGHUP (inside a tokio runtime). From then on these signals no
    /// longer kill the process: the first one resolves [`Shutdown::wait`], a second one exits at once.
    pub fn install() -> std::io::Result<Self> {
        let mut streams = [
            (Signal::Interrupt, signal(SignalKind::interrupt())?),
            (Signal::Terminate, signal(SignalKind::terminate())?),
            (Signal::Hangup, signal(SignalKind::hangup())?),
        ];
        let (tx, received) = watch::channel(None);
        tokio::spawn(async move {
            let first = next(&mut streams).await;
            if first == Signal::Hangup {
                terminal::detach();
            }
            terminal::note(format!("{first}: stopping (again to exit at once)"));
            let _ = tx.send(Some(first));
            let second = next(&mut streams).await;
            terminal::note(format!("{second} again: exiting now"));
            std::process::exit(i32::from(second.exit_code()));
        });
        Ok(Shutdown { received })
    }

    /// A shutdown that never comes (library callers and tests that stop a command themselves).
    pub fn never() -> Self {
        let (_, received) = watch::channel(None);
        Shutdown { received }
    }

    /// The signal received so far, if any.
    pub fn received(&self) -> Option<Signal> {
        *self.received.borrow()
    }

    /// The signal received within `grace`, if any, blocking this thread meanwhile. A child killed by the terminal's
    /// Ctrl-C can end before this process's handler has run: a caller that saw such an end looks again.
    pub fn received_within(&self, grace: std::time::Duration) -> Option<Signal> {
        let deadline = std::time::Instant::now() + grace;
        loop {
            let received = self.received();
            if received.is_some() || std::time::Instant::now() >= deadline {
                return received;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Resolves when a signal arrives (at once if one already has).
    pub async fn wait(&self) -> Signal {
        let mut received = self.received.clone();
        loop {
            if let Some(signal) = *received.borrow_and_update() {
                return signal;
            }
            if received.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Runs `work` until it ends or a signal arrives, whichever is first.
    pub async fn or_signal<T>(&self, work: impl Future<Output = T>) -> Result<T, Signal> {
        tokio::select! {
            done = work => Ok(done),
            signal = self.wait() => Err(signal),
        }
    }
}

async fn next(streams: &mut [(Signal, tokio::signal::unix::Signal); 3]) -> Signal {
    let [(a, sa), (b, sb), (c, sc)] = streams;
    tokio::select! {
        _ = sa.recv() => *a,
        _ = sb.recv() => *b,
        _ = sc.recv() => *c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Hangup.exit_code(), 129);
    }

    #[tokio::test]
    async fn never_stays_pending() {
        let never = Shutdown::never();
        assert_eq!(never.received(), None);
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), never.wait()).await;
        assert!(waited.is_err());
    }
}
