//! Test server processes that cannot outlive their test.
//!
//! [`Server::spawn`] starts the command in its own process group (so a signal reaches the
//! server's children too) with PR_SET_PDEATHSIG=SIGKILL, so the kernel kills it when the thread
//! that started it ends, even after `kill -9` of the test binary. Dropping a [`Server`] kills its
//! group and reaps it.

use std::os::unix::process::CommandExt;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use stream2neptune_process::orphans;

/// A running test server, killed (its whole process group) when dropped.
#[derive(Debug)]
pub struct Server {
    name: String,
    child: Child,
    log: Option<PathBuf>,
    reaped: bool,
}

impl Server {
    /// Spawns `command` in a new process group with the parent-death signal set; panics naming
    /// `name` when it cannot start.
    pub fn spawn(name: &str, mut command: Command) -> Server {
        command.process_group(0);
        orphans::die_with_parent(&mut command, libc::SIGKILL);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}; run `make tools`"));
        Server {
            name: name.to_owned(),
            child,
            log: None,
            reaped: false,
        }
    }

    /// [`Server::spawn`], then waits until `port` on 127.0.0.1 accepts connections. Panics naming
    /// the server and the tail of `log` (its captured output) when it exits first or does not
    /// listen within `timeout`.
    pub fn spawn_listening(
        name: &str,
        command: Command,
        port: u16,
        timeout: Duration,
        log: Option<&Path>,
    ) -> Server {
        let mut server = Server::spawn(name, command);
        server.log = log.map(Path::to_path_buf);
        server.wait_listening(port, timeout);
        server
    }

    /// [`Server::spawn`] of a command whose output goes to `log`, without waiting: a later
    /// [`Server::wait_listening`] panics with the tail of `log`.
    pub fn spawn_logged(name: &str, command: Command, log: &Path) -> Server {
        let mut server = Server::spawn(name, command);
        server.log = Some(log.to_path_buf());
        server
    }

    /// Waits until `port` on 127.0.0.1 accepts connections (see [`Server::spawn_listening`]).
    pub fn wait_listening(&mut self, port: u16, timeout: Duration) {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.reaped = true;
                panic!(
                    "{} exited ({status}) before listening on {port}:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if started.elapsed() > timeout {
                self.kill();
                panic!(
                    "{} did not listen on {port} within {} s:\n{}",
                    self.name,
                    timeout.as_secs(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server has not exited yet.
    pub fn is_running(&mut self) -> bool {
        if !self.reaped && !matches!(self.child.try_wait(), Ok(None)) {
            self.reaped = true;
        }
        !self.reaped
    }

    /// SIGKILL to the process group, and reap.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
        self.reaped = true;
    }

    /// SIGTERM to the process group (the server runs its shutdown hooks) and reap; SIGKILL after
    /// `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        self.signal(libc::SIGTERM);
        let started = Instant::now();
        while started.elapsed() < grace {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.reaped = true;
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }

    fn signal(&self, signal: libc::c_int) {
        if self.reaped {
            return;
        }
        // SAFETY: kill(2) on the process group this server leads (its pid, not yet reaped, so
        // the group id cannot have been reused).
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), signal);
        }
    }

    /// The last 40 lines of the captured output, if any.
    fn log_tail(&self) -> String {
        self.log
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .map(|text| {
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: i32) -> bool {
        // SAFETY: signal 0 only checks that the process exists.
        unsafe { libc::kill(pid, 0) == 0 }
    }

    #[test]
    fn a_dropped_server_takes_its_children_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild.pid");
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("sleep 60 & echo $! > {}; wait", pid_file.display()));
        let server = Server::spawn("sh", command);
        let started = Instant::now();
        let grandchild = loop {
            if let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
            {
                break pid;
            }
            assert!(started.elapsed() < Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(alive(grandchild));
        drop(server);
        let started = Instant::now();
        while alive(grandchild) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        // The grandchild was reparented, so it may linger as a zombie of init only briefly;
        // /proc tells a zombie from a live process.
        let state = std::fs::read_to_string(format!("/proc/{grandchild}/stat")).unwrap_or_default();
        assert!(state.is_empty() || state.contains(") Z "), "{state}");
    }

    #[test]
    fn a_server_dies_with_the_thread_that_started_it() {
        let pid = std::thread::spawn(|| {
            let server = Server::spawn("sleep", {
                let mut c = Command::new("sleep");
                c.arg("60");
                c
            });
            let pid = server.pid();
            // Leak it: only the parent-death signal can stop it now.
            std::mem::forget(server);
            pid
        })
        .join()
        .unwrap() as i32;
        let started = Instant::now();
        loop {
            // Reap it (it is still our child) once the kernel has killed it.
            let mut status = 0;
            // SAFETY: waitpid on our own child.
            let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if reaped == pid {
                assert!(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGKILL);
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the server outlived the thread that started it"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn terminate_stops_a_server_that_handles_sigterm() {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg("trap 'exit 0' TERM; while :; do sleep 0.05; done");
        let mut server = Server::spawn("sh", command);
        assert!(server.is_running());
        let started = Instant::now();
        server.terminate(Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!server.is_running());
    }

    #[test]
    #[should_panic(expected = "exited")]
    fn a_server_that_exits_before_listening_is_reported() {
        let mut command = Command::new("sh");
        command.arg("-c").arg("exit 3");
        Server::spawn_listening(
            "sh",
            command,
            crate::free_port(),
            Duration::from_secs(5),
            None,
        );
    }
}
