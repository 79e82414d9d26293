//! Test server processes: spawned so they die with the test (SIGKILL on drop, and the kernel's
//! parent-death signal if the test process itself dies), waited for until they listen.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Spawns `command` with PR_SET_PDEATHSIG=SIGKILL, so the server cannot outlive the test thread
/// that started it (a test thread lives as long as its test), then waits until `port` accepts
/// connections. Panics naming `name` and `log` (its captured output) when it does not within
/// `timeout` or exits first.
pub fn spawn_listening(
    name: &str,
    mut command: Command,
    port: u16,
    timeout: Duration,
    log: Option<&std::path::Path>,
) -> Child {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let started = Instant::now();
    let output = || {
        log.and_then(|path| std::fs::read_to_string(path).ok())
            .map(|text| {
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default()
    };
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{name} exited ({status}) before listening on {port}:\n{}",
                output()
            );
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{name} did not listen on {port} within {} s:\n{}",
                timeout.as_secs(),
                output()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// SIGKILL and reap.
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGTERM (the server runs its shutdown hooks) and reap; SIGKILL after `grace`.
pub fn terminate(child: &mut Child, grace: Duration) {
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let started = Instant::now();
    while started.elapsed() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(child);
}
