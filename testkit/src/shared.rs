//! One server for a whole test binary ([`Shared`]): the tests that only write to a server and read it take turns on
//! it, one at a time, instead of starting one each. A JVM engine's start-up is most of an engine test's time on two
//! cores; a test that stops, restarts or kills its server keeps its own.
//!
//! The server is started on a thread that lives as long as the process (the parent-death signal of
//! [`crate::process::Server`] follows the thread that spawned it, and a test's thread ends with the test), and it is
//! dropped when the process exits (killed with its process group, its temp dir removed), since a static is never
//! dropped.

use std::sync::{Mutex, Once};

use tokio::sync::{Mutex as TurnLock, MutexGuard};

/// A server of type `S` shared by the tests of one binary; declare it `static` with [`Shared::new`].
pub struct Shared<S: Send + 'static> {
    server: TurnLock<Option<S>>,
    start: fn() -> S,
}

/// A test's turn on a [`Shared`] server: the other tests wait until it is dropped. Dereferences to the server.
pub struct Turn<S: Send + 'static> {
    server: MutexGuard<'static, Option<S>>,
}

impl<S: Send + 'static> Shared<S> {
    /// A shared server that `start` starts (and waits for) on the first turn.
    pub const fn new(start: fn() -> S) -> Self {
        Shared {
            server: TurnLock::const_new(None),
            start,
        }
    }

    /// Waits for this test's turn, starting the server on the first. The caller empties what an earlier test
    /// left, if it needs an empty server.
    pub async fn turn(&'static self) -> Turn<S> {
        let mut server = self.server.lock().await;
        if server.is_none() {
            let start = self.start;
            let (started, receive) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                // A panic here (the server did not start) drops `started`: the test fails with the message below.
                let _ = started.send(start());
                loop {
                    std::thread::park();
                }
            });
            *server = Some(
                receive
                    .recv()
                    .expect("the shared server did not start (its panic is printed above)"),
            );
            at_exit(Box::new(move || {
                if let Ok(mut server) = self.server.try_lock() {
                    drop(server.take());
                }
            }));
        }
        Turn { server }
    }
}

impl<S: Send + 'static> std::ops::Deref for Turn<S> {
    type Target = S;

    fn deref(&self) -> &S {
        self.server.as_ref().expect("started on the first turn")
    }
}

/// What runs when the process exits, in order of registration.
static AT_EXIT: Mutex<Vec<Box<dyn FnOnce() + Send>>> = Mutex::new(Vec::new());

/// Runs `hook` when the process exits (after the test harness has run every test).
fn at_exit(hook: Box<dyn FnOnce() + Send>) {
    static REGISTER: Once = Once::new();
    extern "C" fn run_hooks() {
        let hooks = std::mem::take(&mut *AT_EXIT.lock().unwrap_or_else(|e| e.into_inner()));
        for hook in hooks {
            hook();
        }
    }
    AT_EXIT.lock().unwrap_or_else(|e| e.into_inner()).push(hook);
    REGISTER.call_once(|| {
        // SAFETY: `run_hooks` is a plain function that touches only the static above.
        let registered = unsafe { libc::atexit(run_hooks) };
        assert_eq!(registered, 0, "atexit refused the shared servers' clean-up");
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static STARTS: AtomicUsize = AtomicUsize::new(0);

    fn start() -> std::thread::ThreadId {
        STARTS.fetch_add(1, Ordering::SeqCst);
        std::thread::current().id()
    }

    static SHARED: Shared<std::thread::ThreadId> = Shared::new(start);

    #[tokio::test]
    async fn the_server_starts_once_on_a_thread_of_its_own_and_every_turn_gets_it() {
        let first = *SHARED.turn().await;
        let second = *SHARED.turn().await;
        assert_eq!(STARTS.load(Ordering::SeqCst), 1);
        assert_eq!(first, second);
        assert_ne!(first, std::thread::current().id());
    }
}
